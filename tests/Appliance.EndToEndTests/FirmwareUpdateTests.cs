using Appliance.EndToEndKit;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Rollouts;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// Updates over the appliance's own link, with real firmware processes run from the release
/// layout as their unit runs them (the rollback guard before each start, restarted when they stop):
/// v1 to v2 with series filed before and after and the install held while a job is armed; a
/// release that cannot start, and one that cannot connect, rolled back by themselves; a download
/// cut by a kill resumed where it stopped.
/// </summary>
public sealed class FirmwareUpdateTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task V1ToV2_FilesSeriesBeforeAndAfter_AndWaitsForTheArmedJobToEnd()
    {
        await using var rig = await UpdateRig.StartAsync("update-v1-v2", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window));
        await rig.OnlineAsync("1.0.0", firmware);
        var before = await rig.PressAndFiledAsync(await rig.ArmAsync("UPDATE-PATIENT-1", firmware));

        // A job is armed when the order comes: the package downloads, but nothing installs until the job ends.
        var armed = await rig.ArmAsync("UPDATE-PATIENT-2", firmware);
        var rollout = rig.RollOut(rig.Package("2.0.0", floor: 2), "2.0.0");
        await rig.ProgressAsync(rollout, DeviceUpdateState.Waiting, firmware);
        Assert.Equal("1.0.0", rig.Layout.CurrentVersion);
        Assert.False(File.Exists(Path.Combine(rig.Layout.Root, "trial")));
        var during = await rig.PressAndFiledAsync(armed);

        await rig.ProgressAsync(rollout, DeviceUpdateState.Healthy, firmware);
        await rig.OnlineAsync("2.0.0", firmware);
        await rig.RolloutStateAsync(rollout, RolloutState.Completed);
        var after = await rig.PressAndFiledAsync(await rig.ArmAsync("UPDATE-PATIENT-3", firmware));

        Assert.Equal(["1.0.0", "2.0.0"], firmware.Started);
        Assert.Equal(("2.0.0", "1.0.0"), (rig.Layout.CurrentVersion, rig.Layout.PreviousVersion));
        // Confirmed healthy: the floor rose to the release's, and the trial is over.
        Assert.Equal("2", (await File.ReadAllTextAsync(Path.Combine(rig.Layout.Root, "floor"))).Trim());
        Assert.False(File.Exists(Path.Combine(rig.Layout.Root, "trial")));
        Assert.False(Directory.Exists(Path.Combine(rig.Layout.Root, "staging")));
        Assert.Equal(3, new[] { before.SeriesId, during.SeriesId, after.SeriesId }.Distinct().Count());
        var audit = rig.Service<IAuditTrail>().ReadAll().Select(e => e.Kind).ToList();
        Assert.Equal(
            [AuditKinds.RolloutStarted, AuditKinds.UpdateOrdered, AuditKinds.UpdateInstalled, AuditKinds.UpdateHealthy, AuditKinds.RolloutCompleted],
            audit.Where(k => k.StartsWith("rollout-", StringComparison.Ordinal) || k.StartsWith("update-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AReleaseThatCannotStart_IsRolledBackByTheGuard_AndTheRolloutHalts()
    {
        await using var rig = await UpdateRig.StartAsync("update-cannot-start", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window, "--Update:MaxStarts=3"));
        await rig.OnlineAsync("1.0.0", firmware);

        var broken = rig.Package("2.0.0", floor: 2, payloadFolder: rig.StandIn("crashes", 1, "2.0.0 cannot start"));
        var rollout = rig.RollOut(broken, "2.0.0");
        await rig.ProgressAsync(rollout, DeviceUpdateState.RolledBack, firmware);
        await rig.OnlineAsync("1.0.0", firmware);
        await rig.RolloutStateAsync(rollout, RolloutState.Halted);

        Assert.Equal(["1.0.0", "2.0.0", "2.0.0", "2.0.0", "1.0.0"], firmware.Started);
        Assert.Contains("did not become healthy in 3 starts", rig.Progress(rollout)!.Reason, StringComparison.Ordinal);
        Assert.Equal(("1.0.0", null), (rig.Layout.CurrentVersion, rig.Layout.PreviousVersion));
        Assert.False(File.Exists(Path.Combine(rig.Layout.Root, "floor")));
        Assert.False(File.Exists(Path.Combine(rig.Layout.Root, "rolled-back")));
        // Capture works on the release it returned to.
        await rig.PressAndFiledAsync(await rig.ArmAsync("ROLLBACK-PATIENT-1", firmware));
    }

    [Fact]
    public async Task AReleaseThatCannotConnect_RestoresThePreviousOneAtTheEndOfItsHealthWindow()
    {
        await using var rig = await UpdateRig.StartAsync("update-cannot-connect", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        // The same firmware, but configured with a bundle whose broker nobody listens on.
        var unreachable = Path.Combine(rig.DataFolder, "..", "unreachable-bundle.json");
        var bundle = await File.ReadAllTextAsync(Path.Combine(rig.DataFolder, "bundle.json"));
        var port = rig.Service<Appliance.Host.Infrastructure.Messaging.EmbeddedMqttBroker>().BoundPort;
        await File.WriteAllTextAsync(unreachable, bundle.Replace($"\"brokerPort\":{port}", "\"brokerPort\":9", StringComparison.Ordinal));
        await using var firmware = rig.Supervise(rig.FirmwareArguments(TimeSpan.FromSeconds(20)));
        await rig.OnlineAsync("1.0.0", firmware);

        var rollout = rig.RollOut(rig.Package("2.0.0", floor: 2, payloadFolder: rig.Wrapped("no-broker", $"--Firmware:BundlePath={Path.GetFullPath(unreachable)}")), "2.0.0");
        await rig.ProgressAsync(rollout, DeviceUpdateState.RolledBack, firmware);
        await rig.OnlineAsync("1.0.0", firmware);

        Assert.Equal(["1.0.0", "2.0.0", "1.0.0"], firmware.Started);
        Assert.Contains("2.0.0 did not connect to the host within the health window", rig.Progress(rollout)!.Reason, StringComparison.Ordinal);
        await firmware.LineAsync("Release 2.0.0 rolled back to 1.0.0", TimeSpan.FromSeconds(1));
        Assert.Equal("1.0.0", rig.Layout.CurrentVersion);
        Assert.False(File.Exists(Path.Combine(rig.Layout.Root, "floor")));
    }

    [Fact]
    public async Task ADownloadCutByAKill_ResumesWhereItStopped()
    {
        // Small chunks one at a time, so the kill lands mid-download.
        await using var rig = await UpdateRig.StartAsync("update-resume", Builds.Firmware(), new Dictionary<string, string?> { ["Updates:ChunkSize"] = "4096" });
        rig.InstallFirst("1.0.0");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window, "--Update:ChunksInFlight=1"));
        await rig.OnlineAsync("1.0.0", firmware);

        var rollout = rig.RollOut(rig.Package("2.0.0", floor: 2), "2.0.0");
        await Poll.UntilAsync(() => rig.Progress(rollout) is { State: DeviceUpdateState.Downloading, ChunksHeld: > 0 }, $"part of the package downloaded\n{firmware}", TimeSpan.FromSeconds(60));
        firmware.Kill();

        await rig.ProgressAsync(rollout, DeviceUpdateState.Healthy, firmware);
        Assert.Equal(["1.0.0", "1.0.0", "2.0.0"], firmware.Started);
        var resumed = await firmware.LineAsync(l => l.Contains("(resumed: True)", StringComparison.Ordinal), TimeSpan.FromSeconds(1), "the resumed order");
        var held = int.Parse(System.Text.RegularExpressions.Regex.Match(resumed, @"(\d+) of \d+ chunks already held").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(held > 0, resumed);
    }
}
