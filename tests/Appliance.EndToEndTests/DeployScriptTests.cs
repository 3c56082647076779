using System.Diagnostics;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>Runs deploy-pi.sh against a local folder (<c>--target-root</c>) with the firmware as built, and checks what it wrote.</summary>
public sealed class DeployScriptTests
{
    private static readonly string RepositoryRoot = Builds.RepositoryRoot;
    private static readonly string[] OurScripts = ["deploy-pi.sh", "firmware/Appliance.Firmware/release-guard.sh", "tests/run.sh", "tests/photos/fetch.sh", "tests/arm64/sysroot.sh", ".ci/run", ".ci/sbom.sh"];

    [Fact]
    public async Task TargetRoot_GetsTheHardenedUnit_TheHardeningFiles_AndAnOwnerOnlyEnrolledBundle_AndASecondRunChangesNothing()
    {
        using var folder = new TempFolder("deploy");
        var (packagePath, package, code) = await WritePackageAsync(folder, "clinic-a-01");
        var root = folder.Combine("pi");
        Directory.CreateDirectory(Path.Combine(root, "boot", "firmware"));
        await File.WriteAllTextAsync(Path.Combine(root, "boot", "firmware", "config.txt"), "[all]\ncamera_auto_detect=1\n");
        string[] arguments = ["--target-root", root, "--package", packagePath, "--broker-host", "192.168.10.5", "--broker-port", "8883", "--firmware-dir", Builds.Firmware(),
            "--boot-config", "/boot/firmware/config.txt"];

        // Deployed, but this machine is not a Pi and the placeholder bundle opens no TLS: the self-test says so, and the exit is 3.
        var (exit, output) = await RunAsync(arguments, code);
        Assert.True(exit == 3, output);
        Assert.Matches(@"(?m)^gpio chip +FAIL +GPIO: there is no .*/pi/dev/gpiochip0", output);
        Assert.Matches(@"(?m)^bundle +FAIL ", output);
        Assert.Contains("deployed clinic-a-01 under", output);
        Assert.Contains("but the self-test failed", output);

        string Read(string path) => File.ReadAllText(Path.Combine(root, path.TrimStart('/')));
        var unit = Read("/etc/systemd/system/appliance-firmware.service");
        foreach (var setting in new[]
        {
            "User=appliance", "NoNewPrivileges=true", "ProtectSystem=strict", "DevicePolicy=closed", "DeviceAllow=char-gpiochip rw", "DeviceAllow=char-video4linux rw",
            "WatchdogSec=30", "Type=notify", "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestartPreventExitStatus=3 4",
            "MemorySwapMax=0", "UMask=0077", "ExecStartPre=/usr/local/lib/appliance/release-guard /opt/appliance",
            "ExecStart=/opt/appliance/current/Appliance.Firmware", "ReadWritePaths=/var/lib/appliance /opt/appliance", "StartLimitIntervalSec=0",
        })
        {
            Assert.Contains(setting + "\n", unit);
        }

        // The release layout: the build as a release of the version the build stamps, `current` naming it, the guard outside it.
        var version = System.Text.RegularExpressions.Regex.Match(await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "Directory.Build.props")), "<Version>([0-9.]+)</Version>").Groups[1].Value;
        Assert.Equal($"releases/{version}", new FileInfo(Path.Combine(root, "opt/appliance/current")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(root, "opt/appliance/releases", version, "Appliance.Firmware")));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "firmware/Appliance.Firmware/release-guard.sh")), Read("/usr/local/lib/appliance/release-guard"));
        Assert.Contains("dtoverlay=disable-bt\n", Read("/boot/firmware/config.txt"));
        Assert.Contains("dtoverlay=disable-wifi\n", Read("/boot/firmware/config.txt"));
        Assert.StartsWith("[all]\ncamera_auto_detect=1\n", Read("/boot/firmware/config.txt"));
        Assert.Contains("blacklist btusb", Read("/etc/modprobe.d/appliance-no-bluetooth.conf"));
        foreach (var masked in new[] { "bluetooth.service", "hciuart.service", "wpa_supplicant.service", "rpi-connect.service", "syncthing.service", "dropbox.service", "dphys-swapfile.service", "swap.target" })
        {
            Assert.Equal("/dev/null", new FileInfo(Path.Combine(root, "etc", "systemd", "system", masked)).LinkTarget);
        }

        var firewall = Read("/etc/nftables.conf");
        Assert.Contains("type filter hook output priority 0; policy drop;", firewall);
        Assert.Contains("ip daddr 192.168.10.5 tcp dport 8883 accept", firewall);
        Assert.Contains("type filter hook input priority 0; policy drop;", firewall);
        Assert.Contains("APT::Periodic::Unattended-Upgrade \"1\";", Read("/etc/apt/apt.conf.d/20auto-upgrades"));
        Assert.Equal("/etc/systemd/system/appliance-firmware.service",
            new FileInfo(Path.Combine(root, "etc/systemd/system/multi-user.target.wants/appliance-firmware.service")).LinkTarget);

        // Enrolled by the firmware's own enrol command: the bundle opens, owner-only, in an owner-only folder; the package copy is gone.
        var data = Path.Combine(root, "var", "lib", "appliance");
        var bundlePath = Path.Combine(data, "bundle.json");
        Assert.True(ProtocolJson.TryDeserialize<ProvisioningBundle>(await File.ReadAllBytesAsync(bundlePath), out var bundle, out _));
        Assert.Equal("clinic-a-01", bundle.DeviceId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundlePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        Assert.False(File.Exists(Path.Combine(data, "pending.enrol.json")));
        Assert.Contains(package.EnrolmentId, Read("/var/lib/appliance/enrolments"));

        // Idempotent: a second run leaves every file as it was (and does not enrol again).
        var before = Snapshot(root);
        (exit, output) = await RunAsync(arguments, code);
        Assert.True(exit == 3, output);
        Assert.Contains("already enrolled", output);
        Assert.Equal(before, Snapshot(root));
    }

    [Fact]
    public async Task DryRun_PrintsEveryAction_AndChangesNothing_AndAWrongCodeFailsCleanly()
    {
        using var folder = new TempFolder("deploy-dry");
        var (packagePath, _, code) = await WritePackageAsync(folder, "clinic-b-02");
        var root = folder.Combine("pi");
        var pskFile = folder.Combine("psk");
        await File.WriteAllTextAsync(pskFile, "correct horse battery staple\n");
        string[] arguments = ["--target-root", root, "--package", packagePath, "--broker-host", "host.clinic.example", "--firmware-dir", Builds.Firmware(),
            "--wifi-ssid", "Clinic Devices", "--wifi-psk-file", pskFile];

        var (exit, output) = await RunAsync([.. arguments, "--dry-run"], code);
        Assert.True(exit == 0, output);
        foreach (var action in new[]
        {
            "would install /etc/systemd/system/appliance-firmware.service", "would ensure 'dtoverlay=disable-bt'", "would mask bluetooth.service",
            "would install /etc/NetworkManager/system-connections/appliance-wifi.nmconnection (mode 600", "would install /etc/nftables.conf",
            "would install /etc/apt/apt.conf.d/20auto-upgrades", "would enrol", "would run on the Pi (start the firmware)",
            "would mask swap.target", "would run on the Pi (swap off)", "would run the self-test",
        })
        {
            Assert.Contains(action, output);
        }

        Assert.DoesNotContain("disable-wifi", output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories));

        // For real with a wrong code: the enrolment fails, the script stops, no bundle is written.
        (exit, output) = await RunAsync(arguments, "AAAAA-BBBBB-CCCCC-DDDDD");
        Assert.NotEqual(0, exit);
        Assert.Contains("does not open", output);
        Assert.False(File.Exists(Path.Combine(root, "var", "lib", "appliance", "bundle.json")));
        var wifi = File.ReadAllText(Path.Combine(root, "etc", "NetworkManager", "system-connections", "appliance-wifi.nmconnection"));
        Assert.Contains("key-mgmt=sae\n", wifi);
        Assert.Contains("ssid=Clinic Devices\n", wifi);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, "etc", "NetworkManager", "system-connections", "appliance-wifi.nmconnection")));
    }

    [Fact]
    public async Task AnApplianceProvisionedByARunningHost_Deploys_AndItsSelfTestPasses_TableAndAll()
    {
        using var folder = new TempFolder("deploy-selftest");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        // An evaluation appliance: its simulated devices set centrally, in the bundle.
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment(
            "clinic-c-03", ProvisioningKind.New, "127.0.0.1", port, settings: new Dictionary<string, string> { ["Devices:Mode"] = "Simulated" });
        var packagePath = folder.Combine("clinic-c-03.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, packagePath);
        var root = folder.Combine("pi");

        var (exit, output) = await RunAsync(
            ["--target-root", root, "--package", packagePath, "--broker-host", "127.0.0.1", "--broker-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--firmware-dir", Builds.Firmware()],
            provisioned.EnrolmentCode);

        Assert.True(exit == 0, output);
        Assert.Contains("Appliance self-test of clinic-c-03", output);
        Assert.Matches(@"(?m)^camera frame +pass ", output);
        Assert.Matches($@"(?m)^broker 127\.0\.0\.1:{port} +pass +TLS", output);
        // Its one skipped row: the host trusted no release key when it provisioned it.
        Assert.Matches(@"(?m)^release keys +skipped +none in the bundle", output);
        Assert.Matches(@"\d+ checks passed, 1 skipped \(above\), none failed\.", output);
        Assert.Contains("done: clinic-c-03 deployed", output);
        Assert.Contains("its self-test passed", output);
    }

    [Fact]
    public async Task Shellcheck_FindsNothing_InAnyOfOurScripts()
    {
        var scripts = OurScripts.Select(s => Path.Combine(RepositoryRoot, s)).ToArray();
        var (exit, output) = await RunProcessAsync("shellcheck", scripts, null);
        Assert.True(exit == 0, output);
    }

    /// <summary>An enrolment package for a bundle of placeholder credentials (the script never reads them), cheap to open.</summary>
    private static async Task<(string Path, EnrolmentPackage Package, string Code)> WritePackageAsync(TempFolder folder, string deviceId)
    {
        var (signing, _) = SeriesSigning.CreateKeyPair();
        var bundle = new ProvisioningBundle(ProvisioningBundle.CurrentVersion, deviceId, "cert", "key", "ca", "c2VhbA==", "192.168.10.5", 8883,
            "c2VjcmV0", Convert.ToBase64String(signing), "aG9zdA==");
        var (package, code) = EnrolmentPackage.Seal(bundle, memoryKiB: 8 * 1024, passes: 1);
        var path = folder.Combine($"{deviceId}.enrol.json");
        await File.WriteAllBytesAsync(path, ProtocolJson.Serialize(package));
        return (path, package, code);
    }

    private static Task<(int Exit, string Output)> RunAsync(string[] arguments, string code) =>
        RunProcessAsync(Path.Combine(RepositoryRoot, "deploy-pi.sh"), arguments, code);

    private static async Task<(int Exit, string Output)> RunProcessAsync(string file, string[] arguments, string? code)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (code is not null)
        {
            start.Environment["APPLIANCE_ENROLMENT_CODE"] = code;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Every file and link under the root with its content hash or target, and its mode.</summary>
    private static List<string> Snapshot(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(path =>
        {
            // Links point into the Pi's own tree (absolute targets), so they are compared by target.
            if (new FileInfo(path).LinkTarget is { } target)
            {
                return $"{Path.GetRelativePath(root, path)} -> {target}";
            }

            var what = Directory.Exists(path) ? "dir" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
            return $"{Path.GetRelativePath(root, path)} {what} {File.GetUnixFileMode(path)}";
        })];
}
