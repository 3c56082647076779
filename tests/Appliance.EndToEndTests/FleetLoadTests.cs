using Appliance.EndToEndKit;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>The fleet-load scenario at a size the test suite can afford; the benchmark runs it with 200.</summary>
public sealed class FleetLoadTests
{
    [Fact]
    public async Task ThirtyAppliancesAtOnce_EverySeriesIsFiledOnce_AndEveryApplianceGetsItsReceipt()
    {
        using var folder = new TempFolder("fleet-load");

        var report = await FleetLoad.RunAsync(30, folder.Path, frameSide: 64, TimeSpan.FromMinutes(2));

        Assert.Equal(30, report.Filed);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        // Every receipt came inside the run: no series' time to receipt is longer than the whole.
        Assert.InRange(report.P95Ms, 1, report.Total.TotalMilliseconds);
    }
}
