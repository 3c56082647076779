using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.EndToEndTests;

public sealed class EnrolmentAndRotationTests
{
    [Fact]
    public async Task RotatedAppliance_KeepsItsQueuedSeries_FilesThemWithTheNewCertificate_AndTheOldCertificateIsRevoked()
    {
        using var folder = new TempFolder("rotation");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        var provisioner = host.Services.GetRequiredService<DeviceProvisioner>();
        var applianceFolder = folder.Combine("appliance");
        var bundlePath = Path.Combine(applianceFolder, "bundle.json");

        // Enrolled from a package and code, as an admin does; pointed at a closed port, so what it captures stays queued.
        var first = provisioner.ProvisionForEnrolment("rotating-01", ProvisioningKind.New, "127.0.0.1", FreePort());
        var packagePath = folder.Combine("rotating-01.enrol.json");
        DeviceProvisioner.WritePackage(first.Package, packagePath);
        BundleEnrolment.Enrol(applianceFolder, bundlePath, packagePath, first.EnrolmentCode, "series.db", TimeProvider.System);
        var oldBundle = ProvisioningBundleLoader.Load(bundlePath);
        var job = await host.Services.GetRequiredService<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent("rotating-01", "TEST-PATIENT-ROT", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
        using (var offline = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Warning))
        {
            await offline.StartAsync();
            var coordinator = offline.Services.GetRequiredService<CaptureCoordinator>();
            await coordinator.ArmAsync(job.ToWire(), CancellationToken.None);
            Assert.Equal(CaptureOutcomeKind.Accepted, (await coordinator.HandlePressAsync(new ButtonPress(DateTimeOffset.UtcNow), CancellationToken.None)).Kind);
            Assert.Equal(1, await offline.Services.GetRequiredService<ISeriesStore>().CountAsync(CancellationToken.None));
            await offline.StopAsync();
        }

        // A new device id cannot be "rotated"; this one can.
        Assert.Throws<InvalidOperationException>(() => provisioner.ProvisionForEnrolment("never-seen-01", ProvisioningKind.Rotate, "127.0.0.1", port));
        Assert.Throws<InvalidOperationException>(() => provisioner.ProvisionForEnrolment("rotating-01", ProvisioningKind.New, "127.0.0.1", port));
        var rotated = provisioner.ProvisionForEnrolment("rotating-01", ProvisioningKind.Rotate, "127.0.0.1", port);
        DeviceProvisioner.WritePackage(rotated.Package, packagePath);
        var result = BundleEnrolment.Enrol(applianceFolder, bundlePath, packagePath, rotated.EnrolmentCode, "series.db", TimeProvider.System);
        Assert.True(result.KeptStore);
        Assert.NotEqual(oldBundle.CertificatePem, ProvisioningBundleLoader.Load(bundlePath).CertificatePem);

        var archive = host.Services.GetRequiredService<ISeriesArchive>();
        using var back = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Warning);
        await back.StartAsync();
        await Poll.UntilAsync(async () => (await archive.ListRecentAsync(10, CancellationToken.None)).Any(s => s.EpisodeCode == job.EpisodeCode), "the queued series is filed after rotation");

        // Signed with the old key, filed all the same; and the old certificate no longer connects.
        var store = back.Services.GetRequiredService<ISeriesStore>();
        await Poll.UntilAsync(async () => await store.CountAsync(CancellationToken.None) == 0, "the appliance deletes the filed series");

        using var oldCertificate = MutualTls.LoadWithKey(oldBundle.CertificatePem, oldBundle.PrivateKeyPem);
        using var refused = await MqttTestClient.TryConnectAsync(port, "rotating-01", oldCertificate);
        Assert.Null(refused);
        await back.StopAsync();
    }

    [Fact]
    public async Task AnApplianceStolenBetweenRotateAndEnrol_IsStillWiped_AndTheWipeConfirmed()
    {
        using var folder = new TempFolder("rotate-then-wipe");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var provisioner = suite.HostService<DeviceProvisioner>();
        var broker = suite.HostService<EmbeddedMqttBroker>();

        // The admin rotates its credentials; the package is made but never reaches the appliance,
        // which goes missing with its old bundle.
        var rotated = provisioner.ProvisionForEnrolment(suite.DeviceId, ProvisioningKind.Rotate, "127.0.0.1", broker.BoundPort);
        Assert.NotNull(rotated.Package);

        suite.HostService<Appliance.Host.Core.Orders.DeviceOrderService>().RequestWipe(suite.DeviceId, "it.admin");

        var ledger = suite.HostService<Appliance.Host.Core.Orders.IDeviceOrderLedger>();
        await Poll.UntilAsync(() => ledger.FindWipe(suite.DeviceId) is { State: Appliance.Host.Core.Orders.WipeState.Confirmed }, "the wipe is confirmed", TimeSpan.FromSeconds(30));
        Assert.NotNull(CryptoEraser.ReadMarker(suite.ApplianceDataFolder));
    }

    [Fact]
    public async Task BundleSettingsAndAlternateBrokers_ReachTheFirmware_AndARotationKeepsTheSettings()
    {
        using var folder = new TempFolder("bundle-settings");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        var provisioner = host.Services.GetRequiredService<DeviceProvisioner>();
        var certificates = host.Services.GetRequiredService<IDeviceCertificates>();

        // A key a bundle may not set is refused before any certificate is issued.
        Assert.Throws<ArgumentException>(() => provisioner.ProvisionForEnrolment("settings-01", ProvisioningKind.New, "127.0.0.1", port, settings: new Dictionary<string, string> { ["Integrity:WarnOnly"] = "true" }));
        Assert.DoesNotContain("settings-01", certificates.KnownDevices());

        // The first broker is down; the bundle's alternate is the real one.
        // An appliance built with the display has it switched on here, by the admin, not on the appliance.
        var settings = new Dictionary<string, string> { ["Lease:Duration"] = "3.00:00:00", ["Gpio:CrossPolarisedRingPin"] = "12", ["Screen:Enabled"] = "true" };
        var first = provisioner.ProvisionForEnrolment("settings-01", ProvisioningKind.New, "127.0.0.1", FreePort(), [$"127.0.0.1:{port}"], settings);
        var applianceFolder = folder.Combine("appliance");
        var bundlePath = Path.Combine(applianceFolder, "bundle.json");
        var packagePath = folder.Combine("settings-01.enrol.json");
        DeviceProvisioner.WritePackage(first.Package, packagePath);
        BundleEnrolment.Enrol(applianceFolder, bundlePath, packagePath, first.EnrolmentCode, "series.db", TimeProvider.System);

        using (var appliance = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Warning))
        {
            Assert.Equal(TimeSpan.FromDays(3), appliance.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LeaseOptions>>().Value.Duration);
            Assert.Equal(12, appliance.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Appliance.Firmware.Devices.Gpio.PinMapOptions>>().Value.CrossPolarisedRingPin);
            Assert.NotNull(appliance.Services.GetService<Appliance.Firmware.Devices.Screen.ScreenService>());
            await appliance.StartAsync();
            await Poll.UntilAsync(() => appliance.Services.GetRequiredService<IHostOrderLedger>().Current.LastCounter > 0, "the appliance reaches the host through the alternate broker");

            await appliance.StopAsync();
        }

        var rotated = provisioner.ProvisionForEnrolment("settings-01", ProvisioningKind.Rotate, "127.0.0.1", port);
        Assert.Equal(settings, rotated.Package.Open(rotated.EnrolmentCode).Settings);
    }

    [Fact]
    public void APackage_EnrolsOnce_AndAWrongCodeChangesNothing()
    {
        using var folder = new TempFolder("enrol-once");
        var (signingKey, _) = SeriesSigning.CreateKeyPair();
        var bundle = new ProvisioningBundle(ProvisioningBundle.CurrentVersion, "clinic-a-01", "cert", "key", "ca", "c2VhbA==", "127.0.0.1", 8883,
            "c2VjcmV0", Convert.ToBase64String(signingKey), "aG9zdA==");
        var (package, code) = EnrolmentPackage.Seal(bundle, memoryKiB: 8 * 1024, passes: 1);
        var packagePath = folder.Combine("clinic-a-01.enrol.json");
        var data = folder.Combine("data");
        var bundlePath = Path.Combine(data, "bundle.json");
        File.WriteAllBytes(packagePath, ProtocolJson.Serialize(package));
        var copy = folder.Combine("copy.enrol.json");
        File.Copy(packagePath, copy);

        var wrong = Assert.Throws<EnrolmentException>(() => BundleEnrolment.Enrol(data, bundlePath, packagePath, "AAAAA-BBBBB-CCCCC-DDDDD", "series.db", TimeProvider.System));
        Assert.Contains("does not open", wrong.Message);
        Assert.Contains("an enrolment code is", Assert.Throws<EnrolmentException>(() => BundleEnrolment.Enrol(data, bundlePath, packagePath, "1234", "series.db", TimeProvider.System)).Message);
        Assert.False(File.Exists(bundlePath));
        Assert.True(File.Exists(packagePath));

        // Typed in lower case without dashes, O for 0: still the code.
        var typed = code.Replace("-", string.Empty, StringComparison.Ordinal).Replace('0', 'O').ToLowerInvariant();
        var result = BundleEnrolment.Enrol(data, bundlePath, packagePath, typed, "series.db", TimeProvider.System);
        Assert.Equal("clinic-a-01", result.DeviceId);
        Assert.Equal(bundle, ProvisioningBundleLoader.Load(bundlePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundlePath));
        Assert.False(File.Exists(packagePath));

        var again = Assert.Throws<EnrolmentException>(() => BundleEnrolment.Enrol(data, bundlePath, copy, code, "series.db", TimeProvider.System));
        Assert.Contains("already enrolled", again.Message);
    }

    [Fact]
    public void AnAlteredPackage_DoesNotOpen_EvenWithTheRightCode()
    {
        var bundle = new ProvisioningBundle(ProvisioningBundle.CurrentVersion, "clinic-a-01", "cert", "key", "ca", "c2VhbA==", "127.0.0.1", 8883, "c2VjcmV0", "c2lnbg==", "aG9zdA==");
        var (package, code) = EnrolmentPackage.Seal(bundle, memoryKiB: 8 * 1024, passes: 1);
        Assert.Throws<EnrolmentException>(() => (package with { DeviceId = "clinic-b-02" }).Open(code));
        Assert.Throws<EnrolmentException>(() => (package with { EnrolmentId = Guid.NewGuid().ToString("N") }).Open(code));
        Assert.Throws<EnrolmentException>(() => (package with { Ciphertext = "AAAA" + package.Ciphertext[4..] }).Open(code));
        Assert.Equal(bundle, package.Open(code));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
