using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Appliance.TestData;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>
/// The appliance's checks on what the host sends, without a broker: only the host's signature
/// deletes a series or obeys an order, a replayed order or command is refused, and a refused
/// command tells the capture side (so the host hears why) without arming it.
/// </summary>
public sealed class HostMessageHandlerTests : IDisposable
{
    private const string Device = "unit-device-01";
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-02T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly (byte[] Private, byte[] Public) _host = SeriesSigning.CreateKeyPair();
    private readonly (byte[] Private, byte[] Public) _device = SeriesSigning.CreateKeyPair();
    private readonly TempFolder _folder = new("host-messages");
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly FakeSeriesStore _store = new();
    private readonly FakeCaptureCommands _capture = new();
    private readonly FakeFirmwareUpdates _updates = new();
    private readonly WipeSignal _wipe = new();
    private readonly FileHostOrderLedger _ledger;
    private readonly HostMessageHandler _handler;
    private readonly List<string> _ordersRefused = [];
    private readonly List<FiledReceipt> _deleted = [];

    public HostMessageHandlerTests()
    {
        _ledger = new FileHostOrderLedger(_folder.Path, _clock);
        var identity = new ApplianceIdentity(Device, "0.1.0", SeriesSealing.CreateHostKeyPair().PublicKey, _device.Private);
        _handler = new HostMessageHandler(new HostSigningKey(_host.Public), identity, _capture, _store, new TransferProgressBoard(), _ledger, _wipe, _updates, _clock, NullLogger<HostMessageHandler>.Instance);
        _handler.OrderRejected += (_, reason) => _ordersRefused.Add(reason);
        _handler.SeriesDeleted += (_, receipt) => _deleted.Add(receipt);
    }

    public void Dispose() => _folder.Dispose();

    private Task HandleAsync(string topic, object message) => _handler.HandleAsync(topic, ProtocolJson.Serialize(message), CancellationToken.None);

    private FiledReceipt Receipt(SealedSeries series, byte[]? signedBy = null, string device = Device, string[]? digests = null)
    {
        var receipt = new FiledReceipt(series.Manifest.SeriesId, device, Now, digests ?? [.. series.Manifest.Frames.Select(f => f.Sha256)], "archive/1");
        return receipt with { Signature = SeriesSigning.SignBytes(signedBy ?? _host.Private, receipt.SignedBytes()) };
    }

    private async Task<SealedSeries> StoredAsync()
    {
        var series = SealedSeriesFactory.Create(Device);
        await _store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
        return series;
    }

    [Fact]
    public async Task AReceipt_DeletesTheSeriesOnlyWhenTheHostSignedItForThisDeviceAndItsFrames()
    {
        var series = await StoredAsync();
        var (otherPrivate, _) = SeriesSigning.CreateKeyPair();

        await HandleAsync(ApplianceTopics.Receipt(Device), Receipt(series, signedBy: otherPrivate));
        await HandleAsync(ApplianceTopics.Receipt(Device), Receipt(series, device: "clinic-b-02"));
        await HandleAsync(ApplianceTopics.Receipt(Device), Receipt(series, digests: ["00", "11"]));
        await _handler.HandleAsync(ApplianceTopics.Receipt(Device), "{not json"u8.ToArray(), CancellationToken.None);
        Assert.Single(_store.All);
        Assert.Empty(_deleted);

        await HandleAsync(ApplianceTopics.Receipt(Device), Receipt(series));
        Assert.Empty(_store.All);
        Assert.Equal(series.Manifest.SeriesId, Assert.Single(_deleted).SeriesId);

        // A resend that crossed the first receipt finds nothing to delete, and is no error.
        await HandleAsync(ApplianceTopics.Receipt(Device), Receipt(series));
        Assert.Single(_deleted);
    }

    [Fact]
    public async Task AReceiptOnAnotherDevicesTopic_IsNotRead()
    {
        var series = await StoredAsync();
        await HandleAsync(ApplianceTopics.Receipt("clinic-b-02"), Receipt(series));
        Assert.Single(_store.All);
    }

    private HostOrder Order(string kind, long counter, string device = Device)
    {
        var order = new HostOrder(kind, Guid.NewGuid().ToString("N"), device, Convert.ToBase64String(_device.Public), counter, Now, Now.AddHours(1));
        return order with { Signature = SeriesSigning.SignBytes(_host.Private, order.SignedBytes()) };
    }

    [Fact]
    public async Task ASignedWipeOrder_IsRecordedThenObeyed_AndItsReplayIsRefused()
    {
        var lease = Order(HostOrder.LeaseKind, 3);
        await HandleAsync(ApplianceTopics.Lease(Device), lease);
        Assert.Equal(3, _ledger.Current.LastCounter);
        Assert.False(_wipe.Requested.IsCompleted);

        await HandleAsync(ApplianceTopics.Lease(Device), lease);
        Assert.Contains("replayed", Assert.Single(_ordersRefused), StringComparison.Ordinal);

        var wipe = Order(HostOrder.WipeKind, 4);
        await HandleAsync(ApplianceTopics.Wipe(Device), wipe);
        Assert.Equal(4, _ledger.Current.LastCounter);
        var request = await _wipe.Requested;
        Assert.Equal((WipeTrigger.Remote, wipe.OrderId), (request.Trigger, request.OrderId));
    }

    [Fact]
    public async Task ForgedMisdirectedAndMisplacedOrders_AreRefusedWithoutWiping()
    {
        var forged = Order(HostOrder.WipeKind, 7) with { Counter = 8 };
        await HandleAsync(ApplianceTopics.Wipe(Device), forged);
        await HandleAsync(ApplianceTopics.Wipe(Device), Order(HostOrder.WipeKind, 9, device: "clinic-b-02"));
        await HandleAsync(ApplianceTopics.Wipe(Device), Order(HostOrder.LeaseKind, 10));
        // The host clearing a retained order it no longer needs: nothing to refuse.
        await _handler.HandleAsync(ApplianceTopics.Wipe(Device), ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        Assert.Collection(
            _ordersRefused,
            r => Assert.Contains("not signed", r, StringComparison.Ordinal),
            r => Assert.Contains("another device", r, StringComparison.Ordinal),
            r => Assert.Contains("'lease' order on the wipe topic", r, StringComparison.Ordinal));
        Assert.False(_wipe.Requested.IsCompleted);
        Assert.Equal(0, _ledger.Current.LastCounter);
    }

    private HostCommand Command(long counter, CaptureJob job, byte[]? signedBy = null)
    {
        var command = new HostCommand(HostCommand.CaptureJobKind, job, null, Device, Convert.ToBase64String(_device.Public), counter, Now, Now.AddMinutes(10));
        return command with { Signature = SeriesSigning.SignBytes(signedBy ?? _host.Private, command.SignedBytes()) };
    }

    private static CaptureJob Job(string jobId = "job-1", string episode = "EP-ABCDEFGHJK") =>
        new(jobId, episode, "left forearm", ConsentScope.DirectCare, Now, Now.AddMinutes(10));

    [Fact]
    public async Task ASignedCaptureCommand_ArmsOnce_AndAReplayedOrForgedOneIsRefusedToTheHost()
    {
        var command = Command(1, Job());
        await HandleAsync(ApplianceTopics.Command(Device), command);
        Assert.Equal("job-1", Assert.Single(_capture.Armed).JobId);
        Assert.Equal(1, _ledger.Current.LastCommandCounter);

        await HandleAsync(ApplianceTopics.Command(Device), command);
        var (otherPrivate, _) = SeriesSigning.CreateKeyPair();
        await HandleAsync(ApplianceTopics.Command(Device), Command(2, Job("job-2"), signedBy: otherPrivate));

        Assert.Single(_capture.Armed);
        Assert.Collection(
            _capture.Refused,
            r => Assert.Equal(("job-1", true), (r.JobId, r.Reason.Contains("replayed", StringComparison.Ordinal))),
            r => Assert.Equal(("job-2", true), (r.JobId, r.Reason.Contains("not signed", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task ASignedCommandWithAnInvalidJob_IsSpentButNotArmed()
    {
        await HandleAsync(ApplianceTopics.Command(Device), Command(5, Job(episode: "Jane Smith 1970")));

        Assert.Empty(_capture.Armed);
        Assert.Equal("job-1", Assert.Single(_capture.Refused).JobId);
        Assert.Equal(5, _ledger.Current.LastCommandCounter);
    }

    private HostCommand UpdateCommand(long counter, UpdateOrder order, byte[]? signedBy = null)
    {
        var command = new HostCommand(HostCommand.UpdateKind, null, null, Device, Convert.ToBase64String(_device.Public), counter, Now, Now.AddHours(1), Update: order);
        return command with { Signature = SeriesSigning.SignBytes(signedBy ?? _host.Private, command.SignedBytes()) };
    }

    private static UpdateOrder NewUpdateOrder(string version = "2.0.0", int chunks = 3) =>
        new(Guid.NewGuid().ToString("N"), "canary-1", version, (4096L * chunks) - 100, new string('a', 64), 4096, [.. Enumerable.Repeat(new string('b', 64), chunks)]);

    [Fact]
    public async Task ASignedUpdateOrder_ReachesTheUpdateSideOnce_AndAForgedReplayedOrMalformedOneDoesNot()
    {
        var order = NewUpdateOrder();
        var command = UpdateCommand(7, order);
        await HandleAsync(ApplianceTopics.Command(Device), command);
        var received = Assert.Single(_updates.Orders);
        Assert.Equal((order.OrderId, order.Version, order.PackageSha256), (received.OrderId, received.Version, received.PackageSha256));
        Assert.Equal(order.ChunkSha256, received.ChunkSha256);

        await HandleAsync(ApplianceTopics.Command(Device), command);
        var (otherPrivate, _) = SeriesSigning.CreateKeyPair();
        await HandleAsync(ApplianceTopics.Command(Device), UpdateCommand(8, NewUpdateOrder(), signedBy: otherPrivate));
        // Signed, but its digests do not cover the package: spent, not acted on.
        await HandleAsync(ApplianceTopics.Command(Device), UpdateCommand(9, NewUpdateOrder() with { ChunkSha256 = [new string('b', 64)] }));
        await HandleAsync(ApplianceTopics.Command(Device), UpdateCommand(10, NewUpdateOrder(version: "two")));

        Assert.Single(_updates.Orders);
        Assert.Equal(10, _ledger.Current.LastCommandCounter);
    }

    [Fact]
    public async Task PackageFrames_GoToTheUpdateSideAsTheyCame()
    {
        var frame = TransferFrame.Encode(TransferFrameKind.Chunk, Guid.NewGuid(), 2, [1, 2, 3]);
        await _handler.HandleAsync(ApplianceTopics.Package(Device), frame, CancellationToken.None);
        await _handler.HandleAsync(ApplianceTopics.Package("another-device"), frame, CancellationToken.None);

        Assert.Equal(frame, Assert.Single(_updates.Frames));
    }
}
