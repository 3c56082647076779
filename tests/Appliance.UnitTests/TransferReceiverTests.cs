using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Transfers;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// The host's side of the chunked transfer, driven message by message with no broker: what it
/// answers (on the device's progress topic), what it keeps on disk, and that it hands a complete
/// series to filing exactly once.
/// </summary>
public sealed class TransferReceiverTests : IDisposable
{
    private const string DeviceId = HostCoreHarness.DeviceId;
    private readonly HostCoreHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private TransferReceiver Receiver => _harness.Service<TransferReceiver>();

    private List<TransferProgress> Answers() => _harness.Sent<TransferProgress>(ApplianceTopics.Progress(DeviceId));

    private string TransfersFolder => Path.Combine(_harness.DataFolder, "transfers");

    private bool NothingOnDisk() => !Directory.Exists(TransfersFolder) || !Directory.EnumerateFiles(TransfersFolder, "*", SearchOption.AllDirectories).Any();

    private async Task<TransferScript> ScriptAsync()
    {
        // Seven chunks of 4 KiB.
        var series = await _harness.IssuedSeriesAsync(side: 64);
        return TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize);
    }

    [Fact]
    public async Task AnOffer_IsAnsweredWithEveryChunkMissing_ThenChunksInAnyOrderAndTheEnd_FileTheSeriesOnce()
    {
        var script = await ScriptAsync();
        var filed = new List<FiledSeries>();
        _harness.Service<SeriesFilingService>().Filed += (_, f) => filed.Add(f);

        await Receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);
        var opened = Assert.Single(Answers());
        Assert.Equal(TransferState.Receiving, opened.State);
        Assert.Equal(Enumerable.Range(0, script.ChunkCount), opened.MissingIndices());

        foreach (var i in Enumerable.Range(0, script.ChunkCount).Reverse())
        {
            await Receiver.ReceiveAsync(DeviceId, script.Chunk(i), CancellationToken.None);
        }

        await Receiver.ReceiveAsync(DeviceId, script.Chunk(0), CancellationToken.None); // a resend after a lost PUBACK
        await Receiver.ReceiveAsync(DeviceId, script.End(), CancellationToken.None);

        Assert.Equal(TransferState.Filed, Answers()[^1].State);
        Assert.Equal(script.SeriesId.ToString(), Assert.Single(filed).SeriesId);
        Assert.Equal(0, Receiver.OpenCount);
        Assert.True(NothingOnDisk());
    }

    [Fact]
    public async Task AnEndWithChunksMissing_IsAnsweredWithThoseChunks_AndNothingIsFiled()
    {
        var script = await ScriptAsync();
        await Receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);
        var sent = Enumerable.Range(0, script.ChunkCount).Where(i => i % 3 != 1).ToList();
        foreach (var i in sent)
        {
            await Receiver.ReceiveAsync(DeviceId, script.Chunk(i), CancellationToken.None);
        }

        await Receiver.ReceiveAsync(DeviceId, script.End(), CancellationToken.None);

        var answer = Answers()[^1];
        Assert.Equal(TransferState.Receiving, answer.State);
        Assert.Equal(Enumerable.Range(0, script.ChunkCount).Except(sent), answer.MissingIndices());
        Assert.Null(await _harness.Service<ISeriesArchive>().FindAsync(script.SeriesId.ToString(), CancellationToken.None));
        Assert.Equal(1, Receiver.OpenCount);
    }

    [Fact]
    public async Task ACorruptedOrTruncatedChunk_IsRefused_AndStaysMissing()
    {
        var script = await ScriptAsync();
        await Receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);
        var corrupted = script.Chunk(2);
        corrupted[^1] ^= 0xFF;
        var truncated = script.Chunk(3)[..^10];
        Assert.True(script.ChunkCount > 4);

        await Receiver.ReceiveAsync(DeviceId, corrupted, CancellationToken.None);
        await Receiver.ReceiveAsync(DeviceId, truncated, CancellationToken.None);
        await Receiver.ReceiveAsync(DeviceId, script.End(), CancellationToken.None);

        Assert.Contains(2, Answers()[^1].MissingIndices());
        Assert.Contains(3, Answers()[^1].MissingIndices());
        var refusals = _harness.Service<IAuditTrail>().ReadAll().Count(e => e.Subject == script.SeriesId.ToString());
        Assert.Equal(0, refusals); // chunk faults are the network's, logged but not audited
    }

    [Fact]
    public async Task AnOfferForASeriesAlreadyFiled_IsAnsweredFiled_WithTheReceiptAgain_AndOpensNothing()
    {
        var script = await ScriptAsync();
        await Receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);
        foreach (var i in Enumerable.Range(0, script.ChunkCount))
        {
            await Receiver.ReceiveAsync(DeviceId, script.Chunk(i), CancellationToken.None);
        }

        await Receiver.ReceiveAsync(DeviceId, script.End(), CancellationToken.None);

        await Receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);

        Assert.Equal(TransferState.Filed, Answers()[^1].State);
        Assert.Equal(2, _harness.Sent<FiledReceipt>(ApplianceTopics.Receipt(DeviceId)).Count);
        Assert.Equal(0, Receiver.OpenCount);
        Assert.True(NothingOnDisk());
    }

    [Fact]
    public async Task AnOfferNamingAnotherDevice_OrOverTheLimits_IsRejectedWithItsReason()
    {
        var script = await ScriptAsync();
        var foreign = script.Offer with { DeviceId = "core-dev-09" };
        // Before the fix the host only logged and audited these: the appliance waited out its timeout.
        var tooMany = script.Offer with { ChunkSize = TransferOffer.MinChunkSize - 1 };

        await Receiver.OfferAsync(DeviceId, ProtocolJson.Serialize(foreign), CancellationToken.None);
        await Receiver.OfferAsync(DeviceId, ProtocolJson.Serialize(tooMany), CancellationToken.None);
        await Receiver.OfferAsync(DeviceId, "{ not json"u8.ToArray(), CancellationToken.None);

        var answers = Answers();
        Assert.Contains(answers, a => a.State == TransferState.Rejected && a.Reason!.Contains("names device core-dev-09", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.State == TransferState.Rejected && a.Reason!.Contains("chunk size", StringComparison.Ordinal));
        Assert.Equal(0, Receiver.OpenCount);
        Assert.True(NothingOnDisk());
    }

    [Fact]
    public async Task ChunksForNoOpenTransfer_AreDropped_AndOnlyTheEndIsAnsweredUnknown()
    {
        var script = await ScriptAsync();

        await Receiver.ReceiveAsync(DeviceId, script.Chunk(0), CancellationToken.None);
        await Receiver.ReceiveAsync(DeviceId, script.Chunk(1), CancellationToken.None);
        await Receiver.ReceiveAsync(DeviceId, script.End(), CancellationToken.None);

        Assert.Equal(TransferState.Unknown, Assert.Single(Answers()).State);
        Assert.True(NothingOnDisk());
    }

    /// <summary>The chunks holding everything before the first frame and every frame's tag, and those of each frame, as the appliance orders them.</summary>
    private static (int[] Leading, int[][] Frames) Parts(SealedSeries series, int chunkSize)
    {
        var envelope = series.Envelope();
        Assert.True(SeriesEnvelope.TryDecodeLayout(envelope, envelope.Length, out _, out var layout, out var error), error);
        int ChunkOf(long offset) => (int)(offset / chunkSize);
        var leading = Enumerable.Range(0, ChunkOf(layout.FrameOffsets[0] - 1) + 1)
            .Concat(Enumerable.Range(0, layout.FrameCount).SelectMany(i => new[] { ChunkOf(layout.TagOffset(i)), ChunkOf(layout.TagOffset(i) + SeriesSealing.TagSize - 1) }))
            .Distinct().Order().ToArray();
        var frames = Enumerable.Range(0, layout.FrameCount)
            .Select(i => Enumerable.Range(ChunkOf(layout.FrameOffsets[i]), ChunkOf(layout.FrameOffsets[i] + layout.FrameLengths[i] - 1) - ChunkOf(layout.FrameOffsets[i]) + 1).ToArray())
            .ToArray();
        return (leading, frames);
    }

    private string? ArchivedFrame(string seriesId, int index) =>
        Directory.Exists(Path.Combine(_harness.DataFolder, "archive", "frames"))
            ? Directory.EnumerateFiles(Path.Combine(_harness.DataFolder, "archive", "frames"), $"{index}.frame", SearchOption.AllDirectories).FirstOrDefault(f => f.Contains(seriesId, StringComparison.Ordinal))
            : null;

    [Fact]
    public async Task TheFirstFrameIsSealedIntoTheArchive_WhileTheSecondIsStillArriving_AndTheRecordWaitsForTheLastChunk()
    {
        var series = await _harness.IssuedSeriesAsync(side: 64);
        var script = TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize);
        var (leading, frames) = Parts(series, TransferOffer.MinChunkSize);
        var seriesId = script.SeriesId.ToString();
        await Receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);

        foreach (var i in leading.Union(frames[0]))
        {
            await Receiver.ReceiveAsync(DeviceId, script.Chunk(i), CancellationToken.None);
        }

        await Poll.UntilAsync(() => ArchivedFrame(seriesId, 0) is not null, "the first frame in the archive before the second has arrived");
        Assert.Null(ArchivedFrame(seriesId, 1));
        Assert.Null(await _harness.Service<ISeriesArchive>().FindAsync(seriesId, CancellationToken.None));

        foreach (var i in Enumerable.Range(0, script.ChunkCount).Except(leading).Except(frames[0]))
        {
            await Receiver.ReceiveAsync(DeviceId, script.Chunk(i), CancellationToken.None);
        }

        await Receiver.ReceiveAsync(DeviceId, script.End(), CancellationToken.None);
        Assert.Equal(TransferState.Filed, Answers()[^1].State);
        Assert.Equal(series.Plain[1], await _harness.Service<ISeriesArchive>().ReadFrameAsync(seriesId, 1, CancellationToken.None));
        Assert.True(NothingOnDisk());
    }

    [Fact]
    public async Task ATransferReplacedWhileItsFilingWaitsForChunks_IsFiledOnce_ByTheNewTransferAlone()
    {
        var series = await _harness.IssuedSeriesAsync(side: 64);
        var first = TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize);
        var (leading, frames) = Parts(series, TransferOffer.MinChunkSize);
        var seriesId = first.SeriesId.ToString();
        var filed = new List<FiledSeries>();
        _harness.Service<SeriesFilingService>().Filed += (_, f) => filed.Add(f);
        await Receiver.OfferAsync(DeviceId, first.OfferMessage(), CancellationToken.None);
        foreach (var i in leading.Union(frames[0]))
        {
            await Receiver.ReceiveAsync(DeviceId, first.Chunk(i), CancellationToken.None);
        }

        await Poll.UntilAsync(() => ArchivedFrame(seriesId, 0) is not null, "the first frame in the archive");

        // The appliance comes back with another chunk size and sends it all at once: the old transfer
        // and its filing go, and the new filing waits for the old one's clean-up of the same folder.
        var second = TransferScript.For(DeviceId, series.Envelope(), 2 * TransferOffer.MinChunkSize);
        await Receiver.OfferAsync(DeviceId, second.OfferMessage(), CancellationToken.None);
        Assert.Empty(filed);
        foreach (var i in Enumerable.Range(0, second.ChunkCount))
        {
            await Receiver.ReceiveAsync(DeviceId, second.Chunk(i), CancellationToken.None);
        }

        await Receiver.ReceiveAsync(DeviceId, second.End(), CancellationToken.None);
        Assert.Equal(TransferState.Filed, Answers()[^1].State);
        Assert.Equal(seriesId, Assert.Single(filed).SeriesId);
        Assert.Equal(series.Plain[0], await _harness.Service<ISeriesArchive>().ReadFrameAsync(seriesId, 0, CancellationToken.None));
        Assert.Equal(series.Plain[1], await _harness.Service<ISeriesArchive>().ReadFrameAsync(seriesId, 1, CancellationToken.None));
    }

    [Fact]
    public async Task ATransferDroppedWhileItsFilingWaitsForChunks_LeavesNothingInTheArchive()
    {
        using var harness = new HostCoreHarness(new Dictionary<string, string?> { ["Transfers:MaxOpenPerDevice"] = "1" });
        var receiver = harness.Service<TransferReceiver>();
        var series = await harness.IssuedSeriesAsync(side: 64);
        var script = TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize);
        var (leading, frames) = Parts(series, TransferOffer.MinChunkSize);
        var seriesId = script.SeriesId.ToString();
        var framesFolder = Path.Combine(harness.DataFolder, "archive", "frames");
        bool Archived(int index) => Directory.Exists(framesFolder) && Directory.EnumerateFiles(framesFolder, $"{index}.frame", SearchOption.AllDirectories).Any(f => f.Contains(seriesId, StringComparison.Ordinal));
        await receiver.OfferAsync(DeviceId, script.OfferMessage(), CancellationToken.None);
        foreach (var i in leading.Union(frames[0]))
        {
            await receiver.ReceiveAsync(DeviceId, script.Chunk(i), CancellationToken.None);
        }

        await Poll.UntilAsync(() => Archived(0), "the first frame in the archive");

        // Another series from the same device takes the only place: the first transfer is dropped.
        var other = TransferScript.For(DeviceId, (await harness.IssuedSeriesAsync()).Envelope());
        await receiver.OfferAsync(DeviceId, other.OfferMessage(), CancellationToken.None);

        await Poll.UntilAsync(() => !Archived(0), "the dropped transfer's frame removed from the archive");
        Assert.Null(await harness.Service<ISeriesArchive>().FindAsync(seriesId, CancellationToken.None));
        Assert.Equal(1, receiver.OpenCount);
    }
}
