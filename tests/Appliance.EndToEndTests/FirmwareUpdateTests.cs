using Appliance.EndToEndKit;
using Appliance.Firmware.Updates;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Releases;
using Appliance.Host.Core.Rollouts;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
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
    public async Task AReleaseSignedWithARotatedKey_Installs_OnAnApplianceEnrolledWithTheKeyBefore()
    {
        await using var rig = await UpdateRig.StartAsync("update-key-rotation", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window));
        await rig.OnlineAsync("1.0.0", firmware);

        // Offline: the key in the appliance's bundle and the new key both sign the move to the new key.
        var (newKey, newPublic) = ReleasePackage.CreateKeyPair();
        var rotation = ReleaseKeyRotations.Sign(
            new ReleaseKeyRotation(ReleaseKeyRotation.CurrentFormat, 1, [Convert.ToBase64String(newPublic)], 1, DateTimeOffset.UtcNow, "scheduled rotation"),
            [rig.ReleaseKey, newKey]);
        Assert.Null(rig.Service<ReleaseLibrary>().ImportRotation(rotation, "test").Refusal);

        // The order carries the rotation: the appliance, which knows only the old key, takes the new key's release.
        var rollout = rig.RollOut(rig.Package("2.0.0", floor: 2, key: newKey), "2.0.0");
        await rig.ProgressAsync(rollout, DeviceUpdateState.Healthy, firmware);
        await rig.OnlineAsync("2.0.0", firmware);
        Assert.Equal(["1.0.0", "2.0.0"], firmware.Started);

        // Kept beside the floor, checked from the bundle's key: the new key alone is trusted from now on.
        var kept = new ReleaseKeyRing(new ReleaseKeySet(0, [SeriesSigning.PublicKeyOf(rig.ReleaseKey)], 1), rig.Layout.Root).Current;
        Assert.Equal((1, ReleaseManifest.KeyIdOf(newPublic)), (kept.Sequence, kept.KeyIds.Single()));
        await rig.PressAndFiledAsync(await rig.ArmAsync("ROTATION-PATIENT-1", firmware));
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

        // The admin's fleet page says so: the target, and why it is not running.
        rig.Service<Appliance.Host.Core.Users.UserService>().Add("it.updates", Appliance.Host.Core.Users.UserRoles.Admin, "admin password 123", "test");
        using var admin = await HostPages.SignInAsync(rig.Host, "it.updates", "admin password 123");
        var page = await admin.GetStringAsync("/Admin/Fleet");
        Assert.Contains("<td data-field=\"firmware\">1.0.0</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td data-field=\"target\">2.0.0</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td data-field=\"update\" class=\"bad\">rolled back: 2.0.0 did not become healthy in 3 starts", page, StringComparison.Ordinal);

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
    public async Task AReleaseMissingAPartItNeeds_GoesBackToThePreviousOne_InsteadOfStayingStopped()
    {
        await using var rig = await UpdateRig.StartAsync("update-missing-part", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window));
        await rig.OnlineAsync("1.0.0", firmware);

        // A release configured for real devices, on a machine with no GPIO chip or camera: it would exit 4, which the unit does not restart.
        var rollout = rig.RollOut(rig.Package("2.0.0", floor: 2, payloadFolder: rig.Wrapped("real-devices", "--Devices:Mode=Real")), "2.0.0");
        await rig.ProgressAsync(rollout, DeviceUpdateState.RolledBack, firmware);
        await rig.OnlineAsync("1.0.0", firmware);

        Assert.Equal(["1.0.0", "2.0.0", "1.0.0"], firmware.Started);
        Assert.Equal([0, 1], firmware.Exits.Take(2));
        Assert.StartsWith("missing GPIO", rig.Progress(rollout)!.Reason, StringComparison.Ordinal);
        await firmware.LineAsync("This release was on trial: 1.0.0 is restored, and starts next.", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ADownloadCutByAKill_ResumesWhereItStopped()
    {
        // Small chunks one at a time, so the kill lands mid-download: 16 KiB, ~1,400 round trips
        // for the whole package (4 KiB took ~5,400, over a minute on a loaded machine).
        await using var rig = await UpdateRig.StartAsync("update-resume", Builds.Firmware(), new Dictionary<string, string?> { ["Updates:ChunkSize"] = "16384" });
        rig.InstallFirst("1.0.0");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window, "--Update:ChunksInFlight=1"));
        await rig.OnlineAsync("1.0.0", firmware);

        var rollout = rig.RollOut(rig.Package("2.0.0", floor: 2), "2.0.0");
        await Poll.UntilAsync(() => rig.Progress(rollout) is { State: DeviceUpdateState.Downloading, ChunksHeld: > 0 }, $"part of the package downloaded\n{firmware}", TimeSpan.FromSeconds(60));
        firmware.Kill();

        await rig.ProgressAsync(rollout, DeviceUpdateState.Healthy, firmware);
        Assert.Equal(["1.0.0", "1.0.0", "2.0.0"], firmware.Started);
        // After the restart, the order (sent again) finds the chunks fetched before the kill. (The
        // first process may log a resumed order too, with none held: the host re-sends on every status.)
        await firmware.LineAsync(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"[1-9]\d* of \d+ chunks already held \(resumed: True\)"), TimeSpan.FromSeconds(1), "the order resumed with chunks held");
    }

    [Fact]
    public async Task EveryBadPackage_IsRefusedAndReported_BeforeAnythingIsInstalled()
    {
        await using var rig = await UpdateRig.StartAsync("update-bad-packages", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        // The appliance has confirmed floor 2 (as a healthy release would have raised it).
        await File.WriteAllTextAsync(Path.Combine(rig.Layout.Root, "floor"), "2\n");
        // A key the host trusts, but which no bundle the appliance holds carries.
        var (otherKey, otherPublic) = Appliance.Protocol.Releases.ReleasePackage.CreateKeyPair();
        rig.Service<Appliance.Host.Core.Releases.ReleaseLibrary>().Trust(otherPublic, "test");
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window));
        await rig.OnlineAsync("1.0.0", firmware);
        var payload = rig.StandIn("never-runs", 0, "must never start");

        // Each: the package the host delivers (its stored copy replaced after import where the host itself would refuse it), and the refusal.
        var cases = new (string Version, string? Architecture, Func<string, byte[]?> Corrupt, string? Package, string Refusal)[]
        {
            ("3.0.1", null, p => Flip(File.ReadAllBytes(p), ^2048), null, "Tampered"),
            ("3.0.2", null, p => File.ReadAllBytes(p)[..(int)(new FileInfo(p).Length / 2)], null, "Unreadable"),
            ("3.0.3", null, UpdateRig.WithoutSignature, null, "NoSignature"),
            ("3.0.4", null, _ => null, rig.Package("3.0.4", floor: 3, payloadFolder: payload, key: otherKey), "UnknownKey"),
            ("3.0.5", "linux-arm", _ => null, rig.Package("3.0.5", floor: 3, payloadFolder: payload, architecture: "linux-arm"), "WrongArchitecture"),
            ("3.0.6", null, _ => null, rig.Package("3.0.6", floor: 3, payloadFolder: payload, models: ["pi5"]), "WrongModel"),
            ("3.0.7", null, _ => null, rig.Package("3.0.7", floor: 1, payloadFolder: payload), "BelowFloor"),
        };
        foreach (var (version, architecture, corrupt, prepared, refusal) in cases)
        {
            var package = prepared ?? rig.Package(version, floor: 3, payloadFolder: payload);
            // Replaced after the import and before the rollout, so the host cuts, hashes and signs for the copy it holds.
            var rollout = rig.RollOut(package, version, architecture, afterImport: () =>
            {
                if (corrupt(package) is { } bad)
                {
                    rig.ReplaceStoredPackage(version, architecture, bad);
                }
            });

            await rig.ProgressAsync(rollout, DeviceUpdateState.Refused, firmware);
            Assert.StartsWith(refusal + ":", rig.Progress(rollout)!.Reason, StringComparison.Ordinal);
            // One appliance in the wave, and it refused: the rollout halts by itself.
            await rig.RolloutStateAsync(rollout, RolloutState.Halted);
            rig.Service<RolloutControl>().Cancel(rollout.RolloutId, "test");
            Assert.Equal(("1.0.0", null), (rig.Layout.CurrentVersion, rig.Layout.PreviousVersion));
            Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(rig.Layout.Releases).Select(Path.GetFileName));
            Assert.False(File.Exists(Path.Combine(rig.Layout.Root, "trial")));
            Assert.False(Directory.Exists(Path.Combine(rig.Layout.Root, "staging")));
        }

        Assert.Equal(["1.0.0"], firmware.Started);
        Assert.Equal(cases.Length, rig.Service<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.UpdateRefused));
        await rig.PressAndFiledAsync(await rig.ArmAsync("BAD-PACKAGE-PATIENT-1", firmware));
    }

    [Fact]
    public async Task KillsDuringInstallAndSwitch_AlwaysLeaveAWholeReleaseCurrent_ThatStarts()
    {
        await using var rig = await UpdateRig.StartAsync("update-kill-switch", Builds.Firmware());
        rig.InstallFirst("1.0.0");
        string[] install = [$"--Firmware:DataFolder={rig.DataFolder}", $"--Update:Root={rig.Layout.Root}", "--Update:Model=pi4"];

        // How long a whole install takes here (the quicker of two: the first pays for a cold start), then kills spread
        // over most of it and just past it, where the links switch.
        var whole = TimeSpan.MaxValue;
        int exit;
        string output;
        foreach (var measured in new[] { "1.1.0", "1.1.1" })
        {
            var package = rig.Package(measured);
            var timer = System.Diagnostics.Stopwatch.StartNew();
            (exit, output) = await Builds.RunFirmwareAsync(["install-release", package, .. install]);
            Assert.True(exit == 0, output);
            whole = TimeSpan.FromTicks(Math.Min(whole.Ticks, timer.Elapsed.Ticks));
        }

        var random = new Random(20261202);
        var kills = 0;
        for (var trial = 0; trial < 8; trial++)
        {
            var package = rig.Package($"1.2.{trial}");
            var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Path.Combine(Builds.Firmware(), "Appliance.Firmware"), ["install-release", package, .. install]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            using var wait = new CancellationTokenSource(whole * (0.2 + random.NextDouble() * 0.9));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                kills++;
            }

            await process.WaitForExitAsync();
            var current = rig.Layout.CurrentVersion!;
            Assert.True(File.Exists(Path.Combine(rig.Layout.FolderOf(current), Appliance.Firmware.Updates.ReleaseLayout.ManifestFileName)), $"trial {trial}: current {current} is not a whole release");
            Assert.Equal(current, Appliance.Firmware.Updates.ReleaseLayout.VersionIn(rig.Layout.FolderOf(current)));
            Assert.True(rig.Layout.PreviousVersion is null || Directory.Exists(rig.Layout.FolderOf(rig.Layout.PreviousVersion)), $"trial {trial}: previous names no release");
        }

        Assert.True(kills > 0, "no install was cut short: the kills came too late");
        var version = rig.Layout.CurrentVersion!;
        await using var firmware = rig.Supervise(rig.FirmwareArguments(Window));
        await rig.OnlineAsync(version, firmware);
        // The next install clears whatever a kill left half done.
        (exit, output) = await Builds.RunFirmwareAsync(["install-release", rig.Package("1.3.0"), .. install]);
        Assert.True(exit == 0, output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(rig.Layout.Releases, ".staging-*"));
    }

    private static byte[] Flip(byte[] bytes, Index at)
    {
        bytes[at] ^= 0x01;
        return bytes;
    }
}
