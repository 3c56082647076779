using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Xunit.Abstractions;

namespace Appliance.EndToEndTests;

/// <summary>The crash benchmark's scenario at a size for every test run: kill -9 during capture, store and upload.</summary>
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledAtRandomMomentsAndRestarted_TheStoreAlwaysOpens_NothingAcceptedIsLost_NothingIsDuplicated()
    {
        using var folder = new TempFolder("crash");

        var report = await CrashTrials.RunAsync(trials: 12, seed: 20261124, folder.Path, maxKillDelay: TimeSpan.FromMilliseconds(1500));

        output.WriteLine(report.ToString());
        Assert.Empty(report.FailedStarts);
        Assert.Equal(0, report.Unopenable);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.True(report.Accepted > 0, "no kill came late enough for a series to be accepted: the trial proves nothing");
        Assert.True(report.KilledWhileOpening > 0, "no kill landed while the store was being opened and recovered: that path went untried");
    }
}
