using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Uplink;
using Appliance.Host.Core;
using Appliance.Protocol;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

public sealed class SignedReceiptTests
{
    [Fact]
    public async Task OnlyAReceiptSignedByTheHost_DeletesTheAppliancesCopy()
    {
        using var folder = new TempFolder("receipts");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-RECEIPT", "back", ConsentScope.DirectCare, CancellationToken.None);
        await suite.Host.StopAsync(); // so the series stays on the appliance
        Assert.Equal(CaptureOutcomeKind.Accepted, (await suite.ApplianceService<CaptureCoordinator>().HandlePressAsync(new ButtonPress(DateTimeOffset.UtcNow), CancellationToken.None)).Kind);
        var store = suite.ApplianceService<ISeriesStore>();
        var held = Assert.Single(await store.ListPendingAsync(CancellationToken.None));
        var handler = suite.ApplianceService<HostMessageHandler>();
        var topic = ApplianceTopics.Receipt(suite.DeviceId);
        var receipt = new FiledReceipt(held.SeriesId, suite.DeviceId, DateTimeOffset.UtcNow, held.FrameSha256, "archive:forged");

        // Right digests, but unsigned, or signed by a key that is not the host's.
        await handler.HandleAsync(topic, ProtocolJson.Serialize(receipt), CancellationToken.None);
        var (otherKey, _) = SeriesSigning.CreateKeyPair();
        await handler.HandleAsync(topic, ProtocolJson.Serialize(receipt with { Signature = SeriesSigning.SignBytes(otherKey, receipt.SignedBytes()) }), CancellationToken.None);
        Assert.NotNull(await store.FindAsync(held.SeriesId, CancellationToken.None));

        // The host's signature over other content does not carry over either.
        var hostKey = suite.HostService<IHostSigningKey>();
        var signedOther = receipt with { ArchiveReference = "archive:other", Signature = hostKey.Sign((receipt with { ArchiveReference = "archive:other" }).SignedBytes()) };
        await handler.HandleAsync(topic, ProtocolJson.Serialize(signedOther with { FrameSha256 = ["0", "1"] }), CancellationToken.None);
        Assert.NotNull(await store.FindAsync(held.SeriesId, CancellationToken.None));

        await handler.HandleAsync(topic, ProtocolJson.Serialize(receipt with { Signature = hostKey.Sign(receipt.SignedBytes()) }), CancellationToken.None);
        Assert.Null(await store.FindAsync(held.SeriesId, CancellationToken.None));
    }
}
