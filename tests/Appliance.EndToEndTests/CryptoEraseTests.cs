using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Logging;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.EndToEndTests;

public sealed class CryptoEraseTests
{
    [Fact]
    public async Task Wipe_DestroysTheKeys_ReportsTheUnsentSeries_LeavesOnlyTheMarker_AndTheFirmwareWillNotStartAgain()
    {
        using var folder = new TempFolder("wipe");
        var scratch = Directory.CreateDirectory(folder.Combine("scratch")).FullName;
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path, applianceSettings: new Dictionary<string, string?> { ["Rpicam:ScratchFolder"] = scratch });
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-WIPE", "back", ConsentScope.DirectCare, CancellationToken.None);
        // The host goes away, so the series the appliance now accepts cannot be sent.
        await suite.Host.StopAsync();
        var coordinator = suite.ApplianceService<CaptureCoordinator>();
        Assert.Equal(CaptureOutcomeKind.Accepted, (await coordinator.HandlePressAsync(new ButtonPress(DateTimeOffset.UtcNow), CancellationToken.None)).Kind);
        var bundlePath = Path.Combine(suite.ApplianceDataFolder, "bundle.json");
        Assert.True(ProtocolJson.TryDeserialize<ProvisioningBundle>(await File.ReadAllBytesAsync(bundlePath), out var bundle, out _));
        await File.WriteAllTextAsync(Path.Combine(scratch, "appliance-frame-left-by-a-crash.bmp"), "plaintext");

        // Before the wipe: nothing the appliance holds opens the series it stored.
        var stored = Assert.Single(await suite.ApplianceService<ISeriesStore>().ListPendingAsync(CancellationToken.None));
        var envelope = (await suite.ApplianceService<ISeriesStore>().ReadEnvelopeAsync(stored.SeriesId, CancellationToken.None))!;
        Assert.True(SeriesEnvelope.TryDecode(envelope, out var routing, out var sealedManifest, out _, out _));
        foreach (var candidate in ApplianceKeyMaterial(bundle))
        {
            using var unsealer = new SeriesUnsealer(candidate);
            Assert.Null(unsealer.TryOpenManifest(routing, sealedManifest.Span, out _));
        }

        var eraser = suite.ApplianceService<CryptoEraser>();
        var report = await eraser.WipeAsync(CancellationToken.None);
        await eraser.TrashDeletion;

        Assert.Equal(1, report.UnsentSeriesLost);
        // Signed by the appliance: the host can check it with the key it registered at provisioning.
        var devicePublic = suite.HostService<Appliance.Host.Core.IDeviceSigningKeys>().Ring(suite.DeviceId).OrderKey!.Bytes;
        Assert.True(SeriesSigning.VerifyBytes(devicePublic, report.SignedBytes(), report.Signature));
        Assert.False(SeriesSigning.VerifyBytes(devicePublic, (report with { UnsentSeriesLost = 0 }).SignedBytes(), report.Signature));
        Assert.Equal(suite.DeviceId, report.DeviceId);
        Assert.Contains("TLS private key", report.Destroyed);
        Assert.Contains("store secret", report.Destroyed);
        Assert.Contains("signing key", report.Destroyed);
        Assert.True(report.ElapsedMilliseconds < 1000, $"wipe took {report.ElapsedMilliseconds} ms");
        Assert.Equal([CryptoEraser.MarkerName], Directory.EnumerateFileSystemEntries(suite.ApplianceDataFolder).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFiles(scratch));
        // Nothing left on the device holds the key material.
        var keyMarkers = new[] { bundle.StoreSecret, bundle.PrivateKeyPem.Split('\n')[1] }.Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        Assert.False(PlaintextScan.AnyFound(suite.ApplianceDataFolder, keyMarkers));

        using var restarted = EmbeddedSuite.BuildAppliance(suite.ApplianceDataFolder, LogLevel.None);
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => restarted.StartAsync());
        Assert.Contains("not provisioned", refusal.Message);
    }

    /// <summary>Every 32 bytes of key material on the appliance, tried as the X25519 key that would open a series.</summary>
    private static IEnumerable<byte[]> ApplianceKeyMaterial(ProvisioningBundle bundle)
    {
        using var tls = System.Security.Cryptography.ECDsa.Create();
        tls.ImportFromPem(bundle.PrivateKeyPem);
        var tlsPrivate = tls.ExportParameters(includePrivateParameters: true).D!;
        var secret = System.Text.Encoding.UTF8.GetBytes(bundle.StoreSecret);
        byte[][] sources = [tlsPrivate, secret, System.Security.Cryptography.SHA256.HashData(secret), Convert.FromBase64String(bundle.HostSealingPublicKey)];
        foreach (var source in sources.Where(s => s.Length >= 32))
        {
            for (var offset = 0; offset + 32 <= source.Length; offset += 8)
            {
                yield return source[offset..(offset + 32)];
            }
        }
    }

    [Fact]
    public async Task FramesACrashLeftInTheScratchFolder_AreDeletedWhenTheFirmwareStarts()
    {
        using var folder = new TempFolder("sweep");
        var scratch = Directory.CreateDirectory(folder.Combine("scratch")).FullName;
        await File.WriteAllTextAsync(Path.Combine(scratch, "appliance-frame-0123.bmp"), "plaintext left by kill -9");
        await File.WriteAllTextAsync(Path.Combine(scratch, "someone-elses-file"), "kept");

        await using var suite = await EmbeddedSuite.StartAsync(folder.Path, applianceSettings: new Dictionary<string, string?> { ["Rpicam:ScratchFolder"] = scratch });

        Assert.Equal(["someone-elses-file"], Directory.EnumerateFiles(scratch).Select(Path.GetFileName));
    }
}
