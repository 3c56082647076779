using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Appliance.Demo;
using Appliance.Firmware.Updates;
using Appliance.Host.Core;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Releases;
using Appliance.Host.Core.Rollouts;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.EndToEndKit;

/// <summary>What a staged rollout to a fleet found.</summary>
public sealed record OtaReport(
    int Appliances,
    int Updated,
    int BadPackagesTried,
    int BadPackagesRefused,
    int RolledBack,
    int SeriesAccepted,
    int SeriesLost,
    int SeriesDuplicated,
    TimeSpan Rollout,
    TimeSpan Reference)
{
    public override string ToString() =>
        $"{Updated} of {Appliances} appliances updated in {Rollout.TotalSeconds:F1} s (the same bytes as plain QoS 1 messages: {Reference.TotalSeconds:F1} s); " +
        $"{BadPackagesRefused} of {BadPackagesTried} bad packages refused; {RolledBack} rolled back from a bad release; {SeriesAccepted} series accepted during it, {SeriesLost} lost, {SeriesDuplicated} duplicated";
}

/// <summary>
/// A fleet of real firmware processes (simulated devices), each run from its own release layout as
/// its unit runs it, against one host on loopback: first every kind of bad package tried on one
/// appliance (each must be refused), then a release that cannot start sent to a canary wave (each
/// must roll back by itself, and the rollout halt), then the good release to the whole fleet in
/// waves while every appliance keeps capturing (staff press for one job after another). Measured:
/// appliances updated, refusals, rollbacks, series lost or filed twice, and the good rollout's
/// time against the same package bytes sent to the same appliances as plain QoS 1 messages.
/// </summary>
public sealed class OtaRollout : IAsyncDisposable
{
    private const string Good = "2.0.0";
    private readonly TempFolder _work;
    private readonly WebApplication _host;
    private readonly string _firmware;
    private readonly (byte[] Private, byte[] Public) _key = ReleasePackage.CreateKeyPair();
    private readonly List<Appliance> _fleet = [];
    private readonly ConcurrentDictionary<string, Channel<ApplianceStatus>> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _accepted = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<string> _filed = [];

    private OtaRollout(TempFolder work, WebApplication host, string firmware) => (_work, _host, _firmware) = (work, host, firmware);

    private sealed record Appliance(string Id, string Data, ReleaseLayout Layout, ReleaseSupervisor Firmware);

    private T Service<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    /// <param name="patientGap">How long staff take between one patient and the next, at each appliance.</param>
    public static async Task<OtaReport> RunAsync(int appliances, int canary, string firmwareBuild, TimeSpan patientGap)
    {
        var work = new TempFolder("ota-rollout");
        var host = await EmbeddedSuite.StartHostAsync(work.Path, LogLevel.Error, hostSettings: new Dictionary<string, string?>
        {
            // The whole fleet reconnects within seconds at each switch: the per-device limit is not what is measured.
            ["Broker:MaxConnectionsPerMinute"] = "100000",
        });
        // The build as a release's payload: without the publishes (another architecture's) an earlier run left in it.
        var payload = Path.Combine(work.Path, "firmware-build");
        UpdateRig.CopyTree(firmwareBuild, payload, skip: folder => File.Exists(Path.Combine(folder, "Appliance.Firmware")));
        await using var run = new OtaRollout(work, host, payload) { _patientGap = patientGap };
        return await run.RunAsync(appliances, canary);
    }

    private TimeSpan _patientGap;

    private async Task<OtaReport> RunAsync(int appliances, int canary)
    {
        Service<ReleaseLibrary>().Trust(_key.Public, "ota-rollout");
        Service<FleetState>().StatusReceived += (_, s) => _statuses.GetOrAdd(s.DeviceId, _ => Channel.CreateUnbounded<ApplianceStatus>()).Writer.TryWrite(s);
        Service<SeriesFilingService>().Filed += (_, f) => _filed.Add(f.SeriesId);
        var first = Package("1.0.0", 1, _firmware);
        await Task.WhenAll(Enumerable.Range(0, appliances).Select(i => Task.Run(() => Enrol(i, canary, first))));
        await Task.WhenAll(_fleet.Select(a => OnlineAsync(a, "1.0.0")));

        var (tried, refused) = await TryBadPackagesAsync();
        var rolledBack = await RollOutBadReleaseAsync();

        // The good release to every appliance, wave by wave, each capturing all the while.
        using var stopCapturing = new CancellationTokenSource();
        var capturing = _fleet.Select(a => CaptureUntilAsync(a, stopCapturing.Token)).ToList();
        var timer = Stopwatch.StartNew();
        var rollout = RollOut(Package(Good, 2, _firmware), Good, ["probe", "canary", "clinic"]);
        await UntilAsync(() => Control.Find(rollout.RolloutId)!.State is RolloutState.Completed or RolloutState.Halted, "the good rollout to end", TimeSpan.FromMinutes(30));
        var elapsed = timer.Elapsed;
        await stopCapturing.CancelAsync();
        await Task.WhenAll(capturing);
        var updated = Control.Progress(rollout.RolloutId).Count(p => p.State == DeviceUpdateState.Healthy);
        await UntilAsync(() => _accepted.Values.All(_filed.Contains), "every accepted series to be filed", TimeSpan.FromMinutes(5), throwOnTimeout: false);
        var filed = _filed.ToList();
        var lost = _accepted.Values.Count(id => !filed.Contains(id));
        var duplicated = filed.Count - filed.Distinct().Count();

        var reference = await SendAsPlainMessagesAsync(Good);
        return new OtaReport(appliances, updated, tried, refused, rolledBack, _accepted.Count, lost, duplicated, elapsed, reference);
    }

    private RolloutControl Control => Service<RolloutControl>();

    private void Enrol(int index, int canary, string firstRelease)
    {
        var id = $"ota-{index:D3}";
        var bundle = Service<DeviceProvisioner>().Provision(id, "127.0.0.1", Service<EmbeddedMqttBroker>().BoundPort);
        var data = Path.Combine(_work.Path, id, "data");
        DeviceProvisioner.WriteBundle(bundle, Path.Combine(data, "bundle.json"));
        SimulatedCalibration.InstallIfMissing(data, TimeSpan.FromDays(30));
        var layout = new ReleaseLayout(Path.Combine(_work.Path, id, "releases-root"));
        var installed = new ReleaseInstaller(layout, new ReleaseTrust([_key.Public]), new ReleaseTarget(UpdateRig.Architecture, "pi4", 0), () => false).Install(firstRelease);
        if (installed.Outcome != ReleaseInstallOutcome.Installed)
        {
            throw new InvalidOperationException(installed.Reason);
        }

        // The first appliance also probes the bad packages; the canary wave comes from the rest.
        Control.SetGroup(id, index == 0 ? "probe" : index <= canary ? "canary" : "clinic", "ota-rollout");
        var sys = Directory.CreateDirectory(Path.Combine(_work.Path, id, "sys")).FullName;
        var firmware = new ReleaseSupervisor(layout.Root, UpdateRig.Guard,
        [
            $"--Firmware:DataFolder={data}", $"--Update:Root={layout.Root}", "--Update:Model=pi4", "--Update:HealthWindow=00:03:00", "--Update:MaxStarts=2",
            "--Devices:Mode=Simulated", "--Integrity:WarnOnly=true", $"--Integrity:SysRoot={sys}",
            "--Uplink:ReconnectDelayMin=00:00:00.500", "--Uplink:ReconnectDelayMax=00:00:05", "--Logging:LogLevel:Default=Warning",
        ]);
        lock (_fleet)
        {
            _fleet.Add(new Appliance(id, data, layout, firmware));
        }
    }

    /// <summary>Every kind of bad package, each rolled out to the probe appliance; how many were tried and how many it refused.</summary>
    private async Task<(int Tried, int Refused)> TryBadPackagesAsync()
    {
        var payload = UpdateRig.StandIn(_work.Path, "never-runs", 0, "must never start");
        var (otherKey, otherPublic) = ReleasePackage.CreateKeyPair();
        Service<ReleaseLibrary>().Trust(otherPublic, "ota-rollout"); // trusted by the host, in no appliance's bundle
        var cases = new (string Version, string? Architecture, string Package, Func<string, byte[]>? Replace, string Refusal)[]
        {
            ("1.1.1", null, Package("1.1.1", 3, payload), p => Flip(File.ReadAllBytes(p)), "Tampered"),
            ("1.1.2", null, Package("1.1.2", 3, payload), p => File.ReadAllBytes(p)[..(int)(new FileInfo(p).Length / 2)], "Unreadable"),
            ("1.1.3", null, Package("1.1.3", 3, payload), UpdateRig.WithoutSignature, "NoSignature"),
            ("1.1.4", null, Package("1.1.4", 3, payload, key: otherKey), null, "UnknownKey"),
            ("1.1.5", "linux-arm", Package("1.1.5", 3, payload, architecture: "linux-arm"), null, "WrongArchitecture"),
            ("1.1.6", null, Package("1.1.6", 3, payload, models: ["pi5"]), null, "WrongModel"),
            ("0.9.0", null, Package("0.9.0", 0, payload), null, "BelowFloor"),
        };
        // The appliances' confirmed floor: 1.0.0's.
        foreach (var appliance in _fleet)
        {
            await File.WriteAllTextAsync(Path.Combine(appliance.Layout.Root, "floor"), "1\n");
        }

        var refused = 0;
        foreach (var (version, architecture, package, replace, refusal) in cases)
        {
            var rollout = RollOut(package, version, ["probe"], architecture, () =>
            {
                if (replace is not null)
                {
                    File.WriteAllBytes(Service<IReleaseStore>().PackagePath(version, architecture ?? UpdateRig.Architecture)!, replace(package));
                }
            });
            await UntilAsync(() => Control.Find(rollout.RolloutId)!.State == RolloutState.Halted, $"the bad package {version} to be refused", TimeSpan.FromMinutes(2));
            var outcome = Control.Progress(rollout.RolloutId).Single();
            refused += outcome.State == DeviceUpdateState.Refused && outcome.Reason?.StartsWith(refusal + ":", StringComparison.Ordinal) == true ? 1 : 0;
            Control.Cancel(rollout.RolloutId, "ota-rollout");
        }

        return (cases.Length, refused);
    }

    /// <summary>A release that cannot start, to the canary wave: how many appliances rolled back by themselves.</summary>
    private async Task<int> RollOutBadReleaseAsync()
    {
        // Halting only when the whole wave has failed, so that every canary installs it and must come back by itself.
        var rollout = RollOut(Package("1.5.0", 2, UpdateRig.StandIn(_work.Path, "crashes", 1, "1.5.0 cannot start")), "1.5.0", ["canary"], haltAbove: 0.9);
        await UntilAsync(() => Control.Find(rollout.RolloutId)!.State == RolloutState.Halted, "the bad release's rollout to halt", TimeSpan.FromMinutes(5), throwOnTimeout: false);
        var rolledBack = Control.Progress(rollout.RolloutId).Count(p => p.State == DeviceUpdateState.RolledBack);
        Control.Cancel(rollout.RolloutId, "ota-rollout");
        await Task.WhenAll(_fleet.Select(a => OnlineAsync(a, "1.0.0")));
        return rolledBack;
    }

    /// <summary>Staff at one appliance: a job, a press on skin, the next patient, until told to stop.</summary>
    private async Task CaptureUntilAsync(Appliance appliance, CancellationToken stop)
    {
        var statuses = _statuses[appliance.Id].Reader;
        var jobs = Service<CaptureJobService>();
        var patient = 0;
        while (!stop.IsCancellationRequested)
        {
            var job = await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(appliance.Id, $"OTA-{appliance.Id}-{++patient}", "back", ConsentScope.DirectCare), "ota-rollout", CancellationToken.None);
            try
            {
                await CaptureAsync(appliance, job.JobId, statuses);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException or OperationCanceledException)
            {
                // Restarting into the new release (no control socket for a moment), a job refused while it installs,
                // or one sent just as the appliance stopped: the next patient.
            }

            // The next patient comes in: workload pacing, as a clinic's, not a wait for an event.
            await Task.Delay(_patientGap, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task CaptureAsync(Appliance appliance, string jobId, ChannelReader<ApplianceStatus> statuses)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var status = await statuses.ReadAsync(limit.Token);
            if (status.JobId != jobId)
            {
                continue;
            }

            switch (status.State)
            {
                case ApplianceState.Armed or ApplianceState.Retake or ApplianceState.Fault:
                    await Arm64Firmware.ControlSocket.In(appliance.Data).SendAsync("skin", "tap");
                    break;
                case ApplianceState.Accepted:
                    _accepted[jobId] = status.SeriesId!;
                    return;
                case ApplianceState.Refused or ApplianceState.Idle or ApplianceState.Cancelled:
                    // Refused while it installs: wait for it to come back before the next patient.
                    await OnlineAsync(appliance, null);
                    return;
            }
        }
    }

    /// <summary>The same package bytes, in the same chunks, published to every appliance's package topic as plain QoS 1 messages (each acknowledged), all appliances at once.</summary>
    private async Task<TimeSpan> SendAsPlainMessagesAsync(string version)
    {
        var package = Service<ReleasePackages>().Describe(version, UpdateRig.Architecture, Service<Microsoft.Extensions.Options.IOptions<UpdateDeliveryOptions>>().Value.ChunkSize);
        var publisher = Service<IDeviceMessagePublisher>();
        var timer = Stopwatch.StartNew();
        await Task.WhenAll(_fleet.Select(async a =>
        {
            var buffer = new byte[package.ChunkSize];
            using var file = File.OpenHandle(package.Path);
            var id = Guid.NewGuid();
            for (var index = 0; index < package.ChunkSha256.Length; index++)
            {
                var length = ReleasePackages.ReadChunk(file, package, index, buffer);
                await publisher.PublishAsync(ApplianceTopics.Package(a.Id), TransferFrame.Encode(TransferFrameKind.Chunk, id, index, buffer.AsSpan(0, length)), CancellationToken.None);
            }
        }));
        return timer.Elapsed;
    }

    private Rollout RollOut(string package, string version, string[] groups, string? architecture = null, Action? afterImport = null, double haltAbove = 0.2)
    {
        var check = Service<ReleaseLibrary>().Import(package, "ota-rollout");
        if (!check.Accepted)
        {
            throw new InvalidOperationException(check.Reason);
        }

        afterImport?.Invoke();
        return Control.Start(new RolloutRequest(version, architecture ?? UpdateRig.Architecture, groups, HaltAbove: haltAbove), "ota-rollout");
    }

    private string Package(string version, int floor, string payload, string? architecture = null, string[]? models = null, byte[]? key = null)
    {
        var path = Path.Combine(_work.Path, $"firmware-{version}.release");
        ReleasePackage.Create(payload, new ReleaseManifest(ReleaseManifest.CurrentFormat, version, floor, architecture ?? UpdateRig.Architecture, models ?? ["pi4", "pi5"], 0, string.Empty, new DateOnly(2028, 12, 31), 1, $"ota {version}", string.Empty), key ?? _key.Private, path);
        return path;
    }

    private Task OnlineAsync(Appliance appliance, string? version) =>
        UntilAsync(
            () => Service<FleetState>().Latest.TryGetValue(appliance.Id, out var s) && s.State is ApplianceState.Online or ApplianceState.Idle && (version is null || s.FirmwareVersion == version),
            $"{appliance.Id} online{(version is null ? string.Empty : " with " + version)}\n{appliance.Firmware}",
            TimeSpan.FromMinutes(5));

    private static async Task UntilAsync(Func<bool> condition, string what, TimeSpan limit, bool throwOnTimeout = true)
    {
        try
        {
            await Poll.UntilAsync(condition, what, limit);
        }
        catch (TimeoutException) when (!throwOnTimeout)
        {
            // Counted by the caller as what did not happen.
        }
    }

    private static byte[] Flip(byte[] bytes)
    {
        bytes[^2048] ^= 0x01;
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_fleet.Select(a => a.Firmware.DisposeAsync().AsTask()));
        await _host.DisposeAsync();
        _work.Dispose();
    }
}
