using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

public sealed class OsIntegrityTests
{
    [Fact]
    public async Task ApplianceWithBluetoothUp_TellsTheHostItIsUnsafe_AndRefusesJobs()
    {
        using var folder = new TempFolder("integrity-e2e");
        Directory.CreateDirectory(folder.Combine("sys", "class", "bluetooth", "hci0"));
        Directory.CreateDirectory(folder.Combine("proc"));
        var settings = new Dictionary<string, string?>
        {
            ["Integrity:WarnOnly"] = "false",
            ["Integrity:SysRoot"] = folder.Combine("sys"),
            ["Integrity:ProcRoot"] = folder.Combine("proc"),
        };
        await using var suite = await EmbeddedSuite.StartAsync(folder.Combine("suite"), applianceSettings: settings);
        // The suite has waited for the appliance's first status on connecting.
        var fleet = suite.HostService<FleetState>();
        Assert.Equal(ApplianceState.Unsafe, fleet.Latest[suite.DeviceId].State);
        Assert.Contains("hci0", fleet.Latest[suite.DeviceId].Reason);

        var refused = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.State == ApplianceState.Refused);
        var job = await suite.HostService<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(suite.DeviceId, "TEST-PATIENT-BT", "back", ConsentScope.DirectCare), "test", CancellationToken.None);

        var status = await refused.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(job.JobId, status.JobId);
        Assert.Contains("unsafe for patient data", status.Reason);
        Assert.Equal(CaptureState.Idle, suite.ApplianceService<CaptureCoordinator>().State);
    }
}
