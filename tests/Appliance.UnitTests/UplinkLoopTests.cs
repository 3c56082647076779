using Appliance.Firmware.Core;
using Appliance.Firmware.Uplink;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>
/// The uplink's loops on an in-memory channel, without a broker: what the status publisher sends
/// and keeps across a cut link, when the upload scheduler offers a series again, and the order of
/// a wipe's report.
/// </summary>
public sealed class UplinkLoopTests
{
    private const string Device = "unit-device-01";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-02T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ApplianceIdentity _identity = new(Device, "0.1.0", SeriesSealing.CreateHostKeyPair().PublicKey, SeriesSigning.CreateKeyPair().PrivateKey);
    private readonly FakeSeriesStore _store = new();
    private readonly FakeCalibrationStore _calibration = new();
    private readonly UplinkOptions _options = new();

    private static T Read<T>((string Topic, byte[] Payload) message, string topic)
        where T : class
    {
        Assert.Equal(topic, message.Topic);
        Assert.True(ProtocolJson.TryDeserialize<T>(message.Payload, out var value, out var error), error);
        return value;
    }

    private ApplianceStatus Status(ApplianceState state, string? jobId = null) => new(Device, state, "0.1.0", 0, _clock.GetUtcNow(), JobId: jobId);

    [Fact]
    public async Task StatusPublisher_AnnouncesOnline_KeepsAStatusACutLinkDidNotTake_AndSendsTheProfileOncePerRun()
    {
        var feed = new StatusFeed(new WorkSignal());
        _calibration.Current = FakeCalibrationStore.Valid(Device, TimeSpan.FromDays(30));
        var publisher = new StatusPublisher(_identity, _store, feed, new UncheckedSystem(), _calibration, _clock);

        // First connection: the profile, then "online"; the link is cut while "armed" is being sent.
        var first = new FakeHostChannel();
        await publisher.AnnounceAsync(first, CancellationToken.None);
        Assert.Equal(_calibration.Current.ProfileId, Read<CalibrationProfile>(await first.NextAsync(Wait), ApplianceTopics.Calibration(Device)).ProfileId);
        feed.Publish(Status(ApplianceState.Armed, "job-1"));
        first.OnPublish = (_, payload) => Read<ApplianceStatus>((ApplianceTopics.Status(Device), payload), ApplianceTopics.Status(Device)).State != ApplianceState.Armed
            ? true
            : throw new IOException("link cut while sending 'armed'");
        await Assert.ThrowsAsync<IOException>(() => publisher.RunAsync(first, CancellationToken.None));
        Assert.Equal(ApplianceState.Online, Read<ApplianceStatus>(await first.NextAsync(Wait), ApplianceTopics.Status(Device)).State);

        // Second connection: "armed" was not lost and goes before the new announcement; no second profile.
        var second = new FakeHostChannel();
        await publisher.AnnounceAsync(second, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var running = publisher.RunAsync(second, stop.Token);
        var armed = Read<ApplianceStatus>(await second.NextAsync(Wait), ApplianceTopics.Status(Device));
        Assert.Equal((ApplianceState.Armed, "job-1"), (armed.State, armed.JobId));
        Assert.Equal(ApplianceState.Online, Read<ApplianceStatus>(await second.NextAsync(Wait), ApplianceTopics.Status(Device)).State);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.DoesNotContain(second.Published, m => m.Topic == ApplianceTopics.Calibration(Device));
    }

    [Fact]
    public async Task StatusPublisher_AnnouncesUnsafeWithTheFailedChecks()
    {
        var feed = new StatusFeed(new WorkSignal());
        var integrity = new FakeSystemIntegrity();
        integrity.Problems = ["bluetooth is enabled"];
        await new StatusPublisher(_identity, _store, feed, integrity, _calibration, _clock).AnnounceAsync(new FakeHostChannel(), CancellationToken.None);

        Assert.True(feed.Reader.TryRead(out var announced));
        Assert.Equal((ApplianceState.Unsafe, "bluetooth is enabled"), (announced.State, announced.Reason));
        Assert.Equal(Convert.ToBase64String(_identity.SigningPublicKey), announced.SigningKey);
    }

    /// <summary>A host that answers every offer with <paramref name="answer"/> (or is not listening when null).</summary>
    private static FakeHostChannel HostAnswering(TransferProgressBoard board, Func<TransferOffer, TransferProgress>? answer) => new()
    {
        OnPublish = (topic, payload) =>
        {
            if (topic != ApplianceTopics.Upload(Device) || answer is null)
            {
                return answer is not null;
            }

            Assert.True(ProtocolJson.TryDeserialize<TransferOffer>(payload, out var offer, out var error), error);
            board.Post(answer(offer));
            return true;
        },
    };

    private UploadScheduler Scheduler(TransferProgressBoard board) =>
        new(_store, new SeriesUploader(_identity, _store, board, _clock, Options.Create(_options), NullLogger<SeriesUploader>.Instance), new WorkSignal(), _clock, Options.Create(_options));

    [Fact]
    public async Task UploadScheduler_OffersAFiledSeriesAgainOnlyAfterTheReceiptTimeout_AndForgetsItOnceDeleted()
    {
        var series = SealedSeriesFactory.Create(Device);
        await _store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
        var board = new TransferProgressBoard();
        var scheduler = Scheduler(board);
        var host = HostAnswering(board, offer => new TransferProgress(offer.SeriesId, "host-1", TransferState.Filed, []));

        Assert.Equal(1, await scheduler.UploadDueAsync(host, CancellationToken.None));
        var offer = Read<TransferOffer>(Assert.Single(host.Published), ApplianceTopics.Upload(Device));
        Assert.Equal((series.Manifest.SeriesId, (long)series.Envelope().Length), (offer.SeriesId, offer.Length));
        Assert.Equal(SeriesState.Uploading, Assert.Single(await _store.ListPendingAsync(CancellationToken.None)).State);

        // Filed: the receipt is on its way, so nothing is sent until it is overdue.
        _clock.Advance(_options.ReceiptTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await scheduler.UploadDueAsync(host, CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await scheduler.UploadDueAsync(host, CancellationToken.None));

        // The receipt deleted it: nothing more to offer, however long it waits.
        await _store.DeleteAsync(series.Manifest.SeriesId, CancellationToken.None);
        _clock.Advance(_options.ReceiptTimeout);
        Assert.Equal(0, await scheduler.UploadDueAsync(host, CancellationToken.None));
        Assert.Equal(2, host.Published.Count);
    }

    [Fact]
    public async Task UploadScheduler_TriesAnUnheardSeriesAfterThePollInterval_AndARefusedOneAfterTheReceiptTimeout()
    {
        var series = SealedSeriesFactory.Create(Device);
        await _store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
        var board = new TransferProgressBoard();
        var scheduler = Scheduler(board);

        // Nobody subscribed at the broker: unfinished, tried again after the poll interval.
        var nobody = HostAnswering(board, answer: null);
        Assert.Equal(1, await scheduler.UploadDueAsync(nobody, CancellationToken.None));
        Assert.Equal(0, await scheduler.UploadDueAsync(nobody, CancellationToken.None));
        _clock.Advance(_options.PollInterval);

        var refusing = HostAnswering(board, offer => new TransferProgress(offer.SeriesId, "host-1", TransferState.Rejected, [], "too large"));
        Assert.Equal(1, await scheduler.UploadDueAsync(refusing, CancellationToken.None));
        _clock.Advance(_options.PollInterval);
        Assert.Equal(0, await scheduler.UploadDueAsync(refusing, CancellationToken.None));
        _clock.Advance(_options.ReceiptTimeout);
        Assert.Equal(1, await scheduler.UploadDueAsync(refusing, CancellationToken.None));
        Assert.Single(await _store.ListPendingAsync(CancellationToken.None)); // refused is kept, never dropped
    }

    [Fact]
    public async Task SeriesUploader_SendsTheHeaderAndEveryFramesTagFirst_ThenTheRestInOrder_EachChunkOnce()
    {
        var series = SealedSeriesFactory.Create(Device, side: 64);
        await _store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
        var envelope = series.Envelope();
        Assert.True(SeriesEnvelope.TryDecodeLayout(envelope, envelope.Length, out _, out var layout, out var error), error);
        var chunkSize = TransferOffer.MinChunkSize;
        var board = new TransferProgressBoard();
        var sent = new List<int>();
        var host = new FakeHostChannel
        {
            OnPublish = (topic, payload) =>
            {
                if (topic == ApplianceTopics.Upload(Device))
                {
                    Assert.True(ProtocolJson.TryDeserialize<TransferOffer>(payload, out var offer, out var invalid), invalid);
                    board.Post(new TransferProgress(offer.SeriesId, "host-1", TransferState.Receiving, [new ChunkRange(0, offer.ChunkCount)]));
                }
                else if (TransferFrame.TryDecode(payload, out var kind, out var id, out var index, out _, out _))
                {
                    if (kind == TransferFrameKind.Chunk)
                    {
                        sent.Add(index);
                    }
                    else
                    {
                        board.Post(new TransferProgress(id.ToString(), "host-1", TransferState.Filed, []));
                    }
                }

                return true;
            },
        };
        var uploader = new SeriesUploader(_identity, _store, board, _clock, Options.Create(new UplinkOptions { ChunkSize = chunkSize, ChunksInFlight = 1 }), NullLogger<SeriesUploader>.Instance);

        Assert.Equal(UploadOutcome.Filed, await uploader.UploadAsync(host, series.Manifest.SeriesId, CancellationToken.None));

        int ChunkOf(long offset) => (int)(offset / chunkSize);
        var leading = Enumerable.Range(0, ChunkOf(layout.FrameOffsets[0] - 1) + 1)
            .Concat(Enumerable.Range(0, layout.FrameCount).Select(i => ChunkOf(layout.TagOffset(i))))
            .Concat(Enumerable.Range(0, layout.FrameCount).Select(i => ChunkOf(layout.TagOffset(i) + SeriesSealing.TagSize - 1)))
            .Distinct().Order().ToList();
        var count = TransferOffer.ChunkCountFor(envelope.Length, chunkSize);
        Assert.Contains(count - 1, leading); // the last frame's tag is the envelope's last bytes
        Assert.Equal([.. leading, .. Enumerable.Range(0, count).Except(leading)], sent);
    }

    [Fact]
    public async Task WipeReporter_SaysWipingWithTheOrder_ParksTheUplink_ThenSendsTheReportOnceTheEraserHasOne()
    {
        var wipe = new WipeSignal();
        var channel = new FakeHostChannel();
        wipe.Request(WipeTrigger.Remote, "order-7");
        var reporting = new WipeReporter(_identity, wipe, _clock, NullLogger<WipeReporter>.Instance).ReportAsync(channel, CancellationToken.None);

        var wiping = Read<ApplianceStatus>(await channel.NextAsync(Wait), ApplianceTopics.Status(Device));
        Assert.Equal((ApplianceState.Wiping, "order-7"), (wiping.State, wiping.OrderId));
        await wipe.UplinkParked.WaitAsync(Wait);
        Assert.False(reporting.IsCompleted);

        var report = new WipeReport(Device, _clock.GetUtcNow(), ["signing key"], 2, 12, WipeTrigger.Remote, "order-7");
        wipe.Complete(report);
        await reporting.WaitAsync(Wait);
        Assert.Equal("order-7", Read<WipeReport>(await channel.NextAsync(Wait), ApplianceTopics.Wiped(Device)).OrderId);
        Assert.True(wipe.ReportSent.IsCompleted);
    }

    [Fact]
    public async Task WipeReporter_DoesNotCallTheReportSentWhenNoHostIsListening()
    {
        var wipe = new WipeSignal();
        var channel = new FakeHostChannel { OnPublish = (topic, _) => topic != ApplianceTopics.Wiped(Device) };
        wipe.Request(WipeTrigger.Remote, "order-8");
        wipe.Complete(new WipeReport(Device, _clock.GetUtcNow(), [], 0, 1, WipeTrigger.Remote, "order-8"));

        await new WipeReporter(_identity, wipe, _clock, NullLogger<WipeReporter>.Instance).ReportAsync(channel, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(2, channel.Published.Count);
        Assert.False(wipe.ReportSent.IsCompleted);
    }
}
