using Appliance.EndToEndKit;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// <c>fleet-load-scaled</c> at test size, judged: appliances through mosquitto to two host
/// processes sharing only PostgreSQL, Orthanc and the secrets folder, one of them SIGKILLed a
/// quarter of the way through. Every series is filed once, receipted, audited and in the PACS.
/// </summary>
public sealed class ScaledFleetLoadTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task AHostProcessKilledDuringTheLoad_LosesAndDuplicatesNothing_AndThePacsGetsEverySeries()
    {
        using var work = new TempFolder("scaled-load");
        var report = await ScaledFleetLoad.RunAsync(postgres.Server, work.Path, appliances: 12, hosts: 2, killOne: true, frameSide: 32, TimeSpan.FromMinutes(2));

        // Each with the whole report, so a failure says which count went wrong and by how much.
        Assert.True(report.HostKilled, report.ToString());
        Assert.True((report.Filed, report.Lost, report.Duplicated, report.Unaudited) == (12, 0, 0, 0), report.ToString());
        Assert.True(report.Filed == report.PacsSeriesStored, report.ToString());
    }
}
