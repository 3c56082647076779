using System.Net;
using System.Net.Sockets;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.EndToEndTests;

/// <summary>
/// NIST SP 800-88's condition for a cryptographic erase, tested on the medium itself: after an
/// appliance is provisioned, captures offline, is rotated onto new credentials and wiped, no byte
/// sequence of any key it ever held is anywhere on its (loop-mounted) file system, in live,
/// deleted or replaced files alike.
/// </summary>
public sealed class KeyRemanenceTests
{
    [Fact]
    public async Task ProvisionCaptureRotateWipe_LeavesNoCopyOfAnyKeyOnTheMedium()
    {
        using var folder = new TempFolder("remanence");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var provisioner = host.Services.GetRequiredService<DeviceProvisioner>();
        using var medium = await LoopMedium.MountAsync(folder.Combine("sd.img"), folder.Combine("sd"), 64);
        var applianceFolder = Path.Combine(medium.MountPoint, "appliance");
        var bundlePath = Path.Combine(applianceFolder, "bundle.json");
        var closedPort = ClosedPort();

        // Enrolled from a package; captures with no host to send to, so the series stays queued.
        var first = provisioner.ProvisionForEnrolment("remanent-01", ProvisioningKind.New, "127.0.0.1", closedPort);
        var packagePath = folder.Combine("remanent-01.enrol.json");
        DeviceProvisioner.WritePackage(first.Package, packagePath);
        BundleEnrolment.Enrol(applianceFolder, bundlePath, packagePath, first.EnrolmentCode, "series.db", TimeProvider.System);
        var firstBundle = ProvisioningBundleLoader.Load(bundlePath);
        var job = await host.Services.GetRequiredService<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent("remanent-01", "TEST-PATIENT-REM", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
        using (var offline = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Warning, SmallCard))
        {
            await offline.StartAsync();
            var coordinator = offline.Services.GetRequiredService<CaptureCoordinator>();
            await coordinator.ArmAsync(job.ToWire(), CancellationToken.None);
            Assert.Equal(CaptureOutcomeKind.Accepted, (await coordinator.HandlePressAsync(new ButtonPress(DateTimeOffset.UtcNow), CancellationToken.None)).Kind);
            await offline.StopAsync();
        }

        // Rotated onto new credentials: the new package enrolled over the old bundle.
        var rotated = provisioner.ProvisionForEnrolment("remanent-01", ProvisioningKind.Rotate, "127.0.0.1", closedPort);
        DeviceProvisioner.WritePackage(rotated.Package, packagePath);
        BundleEnrolment.Enrol(applianceFolder, bundlePath, packagePath, rotated.EnrolmentCode, "series.db", TimeProvider.System);
        var secondBundle = ProvisioningBundleLoader.Load(bundlePath);

        // Wiped (the crypto-erase a remote order or the lease would run).
        using (var appliance = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Warning, SmallCard))
        {
            var eraser = appliance.Services.GetRequiredService<CryptoEraser>();
            var report = await eraser.WipeAsync(WipeTrigger.Local, null, CancellationToken.None);
            Assert.Equal(1, report.UnsentSeriesLost);
            await eraser.TrashDeletion;
        }

        await medium.UnmountAsync();
        var found = medium.Find(KeyMaterial("first", firstBundle).Concat(KeyMaterial("rotated", secondBundle)).ToDictionary());
        Assert.True(found.Count == 0, "key material left on the medium: " + string.Join(", ", found));
    }

    // The test's medium is 64 MB; the store otherwise keeps 512 MB free.
    private static readonly Dictionary<string, string?> SmallCard = new() { ["Store:MinFreeBytes"] = "1048576" };

    /// <summary>Every form a key of the bundle could take on disk: its text as written, and its bytes.</summary>
    private static IEnumerable<KeyValuePair<string, byte[]>> KeyMaterial(string which, ProvisioningBundle bundle)
    {
        static byte[] Text(string s) => System.Text.Encoding.ASCII.GetBytes(s);
        yield return new($"{which} store secret (text)", Text(bundle.StoreSecret));
        yield return new($"{which} store secret (bytes)", Convert.FromBase64String(bundle.StoreSecret));
        yield return new($"{which} signing key (text)", Text(bundle.SigningPrivateKey));
        yield return new($"{which} signing key (bytes)", Convert.FromBase64String(bundle.SigningPrivateKey));
        var body = string.Concat(bundle.PrivateKeyPem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));
        yield return new($"{which} TLS key (DER)", Convert.FromBase64String(body));
        foreach (var (line, i) in bundle.PrivateKeyPem.Split('\n').Where(l => l.Length >= 40 && !l.StartsWith("-----", StringComparison.Ordinal)).Select((l, i) => (l.Trim(), i)))
        {
            yield return new($"{which} TLS key (PEM line {i})", Text(line));
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
