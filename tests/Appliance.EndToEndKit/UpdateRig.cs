using System.Formats.Tar;
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

/// <summary>
/// A host on loopback and one appliance provisioned by it, enrolled with the host's release key,
/// calibrated, and given a release layout; release packages made from this test run's firmware
/// build (or from a stand-in folder), and the firmware run from the layout as its unit runs it.
/// </summary>
public sealed class UpdateRig : IAsyncDisposable
{
    public const string DeviceId = "update-appliance-01";

    /// <summary>What the firmware reports as its architecture (this machine's runtime).</summary>
    public static readonly string Architecture = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;

    private readonly TempFolder _folder;

    private UpdateRig(TempFolder folder, WebApplication host, byte[] releaseKey, string firmwareBuild)
    {
        (_folder, Host, ReleaseKey, FirmwareBuild) = (folder, host, releaseKey, firmwareBuild);
        Layout = new ReleaseLayout(folder.Combine("releases-root"));
    }

    public WebApplication Host { get; }

    /// <summary>The release private key (the offline one) the host trusts and the appliance's bundle carries.</summary>
    public byte[] ReleaseKey { get; }

    public string FirmwareBuild { get; }

    public ReleaseLayout Layout { get; }

    public string DataFolder => _folder.Combine("appliance");

    public T Service<T>() where T : notnull => Host.Services.GetRequiredService<T>();

    /// <summary>The host, the appliance's bundle (with the release key as its anchor) and its calibration.</summary>
    public static async Task<UpdateRig> StartAsync(string name, string firmwareBuild, IReadOnlyDictionary<string, string?>? hostSettings = null)
    {
        var folder = new TempFolder(name);
        var host = await EmbeddedSuite.StartHostAsync(folder.Path, LogLevel.Warning, hostSettings: hostSettings);
        var (privateKey, publicKey) = ReleasePackage.CreateKeyPair();
        host.Services.GetRequiredService<ReleaseLibrary>().Trust(publicKey, "update-rig");
        var bundle = host.Services.GetRequiredService<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort);
        var data = folder.Combine("appliance");
        DeviceProvisioner.WriteBundle(bundle, Path.Combine(data, "bundle.json"));
        SimulatedCalibration.InstallIfMissing(data, TimeSpan.FromDays(30));
        return new UpdateRig(folder, host, privateKey, firmwareBuild);
    }

    /// <summary>The firmware's configuration, on every start of every release.</summary>
    public string[] FirmwareArguments(TimeSpan healthWindow, params string[] more)
    {
        var sys = Directory.CreateDirectory(_folder.Combine("sys")).FullName;
        return
        [
            $"--Firmware:DataFolder={DataFolder}",
            $"--Update:Root={Layout.Root}",
            "--Update:Model=pi4",
            $"--Update:HealthWindow={healthWindow:c}",
            "--Devices:Mode=Simulated",
            // A build machine may have Bluetooth or a sync client: its checks report without blocking.
            "--Integrity:WarnOnly=true",
            $"--Integrity:SysRoot={sys}",
            "--Uplink:ReconnectDelayMin=00:00:00.200",
            "--Uplink:ReconnectDelayMax=00:00:02",
            "--Logging:LogLevel:Default=Information",
            .. more,
        ];
    }

    /// <summary>A signed package of <paramref name="payloadFolder"/> (this run's firmware build by default).</summary>
    public string Package(string version, int floor = 1, string? payloadFolder = null, string? architecture = null, string[]? models = null, byte[]? key = null)
    {
        var path = _folder.Combine($"firmware-{version}-{Guid.NewGuid():N}.release");
        ReleasePackage.Create(
            payloadFolder ?? FirmwareBuild,
            new ReleaseManifest(ReleaseManifest.CurrentFormat, version, floor, architecture ?? Architecture, models ?? ["pi4", "pi5"], 0, string.Empty, new DateOnly(2028, 12, 31), 1, $"test release {version}", string.Empty),
            key ?? ReleaseKey,
            path);
        return path;
    }

    /// <summary>A folder standing in for a firmware build: an executable that says one line and exits with <paramref name="exitCode"/>.</summary>
    public string StandIn(string name, int exitCode, string message) => StandIn(_folder.Path, name, exitCode, message);

    public static string StandIn(string parent, string name, int exitCode, string message)
    {
        var folder = Directory.CreateDirectory(Path.Combine(parent, $"stand-in-{name}")).FullName;
        var executable = Path.Combine(folder, "Appliance.Firmware");
        File.WriteAllText(executable, $"#!/bin/sh\necho '{message}' >&2\nexit {exitCode}\n");
        File.SetUnixFileMode(executable, (UnixFileMode)0b111_101_101);
        return folder;
    }

    /// <summary>
    /// This run's firmware build with its executable wrapped: the same firmware, started with the
    /// extra <paramref name="arguments"/> after its own (so they win), as a release whose
    /// configuration is wrong would be.
    /// </summary>
    public string Wrapped(string name, params string[] arguments)
    {
        var folder = _folder.Combine($"wrapped-{name}");
        CopyTree(FirmwareBuild, folder);
        File.Move(Path.Combine(folder, "Appliance.Firmware"), Path.Combine(folder, "Appliance.Firmware.real"));
        var quoted = string.Join(' ', arguments.Select(a => $"'{a}'"));
        var executable = Path.Combine(folder, "Appliance.Firmware");
        File.WriteAllText(executable, $"#!/bin/sh\nexec \"$(dirname \"$0\")/Appliance.Firmware.real\" \"$@\" {quoted}\n");
        File.SetUnixFileMode(executable, (UnixFileMode)0b111_101_101);
        return folder;
    }

    /// <summary>Installs the first release as deploy-pi.sh would: straight into the layout.</summary>
    public void InstallFirst(string version)
    {
        var result = new ReleaseInstaller(Layout, new ReleaseTrust([Appliance.Protocol.SeriesSigning.PublicKeyOf(ReleaseKey)]), new ReleaseTarget(Architecture, "pi4", 0), () => false).Install(Package(version));
        if (result.Outcome != ReleaseInstallOutcome.Installed)
        {
            throw new InvalidOperationException(result.Reason);
        }
    }

    /// <summary>Imports a package on the host and starts a rollout of it to this appliance.</summary>
    /// <param name="afterImport">Run between the import and the start (to change the host's stored copy, say).</param>
    public Rollout RollOut(string package, string version, string? architecture = null, Action? afterImport = null)
    {
        var check = Service<ReleaseLibrary>().Import(package, "update-rig");
        if (!check.Accepted)
        {
            throw new InvalidOperationException(check.Reason);
        }

        afterImport?.Invoke();
        return Service<RolloutControl>().Start(new RolloutRequest(version, architecture ?? Architecture, []), "update-rig");
    }

    /// <summary>Replaces the host's kept copy of an imported package (a disk or an attacker changing it after import).</summary>
    public void ReplaceStoredPackage(string version, string? architecture, byte[] content) =>
        File.WriteAllBytes(Service<IReleaseStore>().PackagePath(version, architecture ?? Architecture)!, content);

    public ReleaseSupervisor Supervise(string[] arguments) => new(Layout.Root, Guard, arguments);

    /// <summary>The rollback guard, from the sources.</summary>
    public static string Guard => Path.Combine(RepositoryFolder.Root(), "firmware", "Appliance.Firmware", "release-guard.sh");

    /// <summary>This run's firmware build (the configuration the caller was built in), with its native apphost.</summary>
    public static string FirmwareBuildOfThisRun()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var build = Path.Combine(RepositoryFolder.Root(), "firmware", "Appliance.Firmware", "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(build, "Appliance.Firmware")) ? build : throw new InvalidOperationException($"no firmware build at {build}");
    }

    public DeviceUpdate? Progress(Rollout rollout) => Service<RolloutControl>().Progress(rollout.RolloutId).SingleOrDefault(p => p.DeviceId == DeviceId);

    public Task ProgressAsync(Rollout rollout, DeviceUpdateState state, ReleaseSupervisor firmware, TimeSpan? within = null) =>
        Poll.UntilAsync(() => Progress(rollout)?.State == state, $"{DeviceId} {state} in {rollout.RolloutId} (now {Progress(rollout)?.State}: {Progress(rollout)?.Reason})\n{firmware}", within ?? TimeSpan.FromSeconds(90));

    public Task RolloutStateAsync(Rollout rollout, RolloutState state) =>
        Poll.UntilAsync(() => Service<RolloutControl>().Find(rollout.RolloutId)?.State == state, $"rollout {rollout.RolloutId} {state}", TimeSpan.FromSeconds(30));

    /// <summary>Until the appliance reports online running <paramref name="version"/>.</summary>
    public Task OnlineAsync(string version, ReleaseSupervisor firmware) =>
        Poll.UntilAsync(
            () => Service<FleetState>().Latest.TryGetValue(DeviceId, out var s) && s.State == ApplianceState.Online && s.FirmwareVersion == version,
            $"{DeviceId} online with {version}\n{firmware}",
            TimeSpan.FromSeconds(90));

    /// <summary>A capture job, armed on the appliance.</summary>
    public async Task<CaptureJobRecord> ArmAsync(string patient, ReleaseSupervisor firmware)
    {
        var job = await Service<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, patient, "back", ConsentScope.DirectCare), "update-rig", CancellationToken.None);
        await Poll.UntilAsync(
            () => Service<FleetState>().Latest.TryGetValue(DeviceId, out var s) && s.JobId == job.JobId && s.State == ApplianceState.Armed,
            $"job {job.JobId} armed\n{firmware}",
            TimeSpan.FromSeconds(60));
        return job;
    }

    /// <summary>Staff press the button on skin; the series is filed on the host.</summary>
    public async Task<FiledSeries> PressAndFiledAsync(CaptureJobRecord job)
    {
        var filing = Service<SeriesFilingService>();
        var filed = EmbeddedSuite.WaitFor<FiledSeries>(h => filing.Filed += h, h => filing.Filed -= h, f => f.JobId == job.JobId);
        await Arm64Firmware.ControlSocket.In(DataFolder).SendAsync("skin", "tap");
        return await filed.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A package with its signature entry left out.</summary>
    public static byte[] WithoutSignature(string package)
    {
        using var output = new MemoryStream();
        using (var reader = new TarReader(File.OpenRead(package)))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name != ReleasePackage.SignatureEntry)
                {
                    writer.WriteEntry(entry);
                }
            }
        }

        return output.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>Copies a folder, leaving out each subfolder <paramref name="skip"/> says (and all below it).</summary>
    public static void CopyTree(string from, string to, Func<string, bool>? skip = null)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var folder in Directory.EnumerateDirectories(from).Where(f => skip?.Invoke(f) != true))
        {
            CopyTree(folder, Path.Combine(to, Path.GetFileName(folder)), skip);
        }
    }
}
