using System.Buffers;
using System.Security.Cryptography;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Uplink;

/// <summary>What one upload attempt came to.</summary>
public enum UploadOutcome
{
    /// <summary>The host filed the series; its signed receipt deletes it here.</summary>
    Filed,

    /// <summary>The host refused the series (reason logged); it stays here and is offered again later.</summary>
    Rejected,

    /// <summary>The host did not answer in time, or kept reporting chunks missing; tried again later.</summary>
    Unfinished,

    /// <summary>The series left the store meanwhile (a receipt crossed the upload).</summary>
    Gone,
}

/// <summary>
/// Sends one stored series to the host in chunks: offer (length, chunk size, a digest per chunk),
/// then the chunks the host says it lacks, addressed to the host instance that answered, a few
/// in flight at a time, then the end. The host answers the end with "filed" or with what is still
/// missing, which is sent again. A cut connection costs only the chunks in flight: the next offer
/// is answered with what the host already holds.
/// </summary>
public sealed partial class SeriesUploader(
    ApplianceIdentity identity,
    ISeriesStore store,
    TransferProgressBoard board,
    TimeProvider time,
    IOptions<UplinkOptions> options,
    ILogger<SeriesUploader> logger)
{
    /// <summary>Rounds of "send what is missing, end" before the attempt is given up until later.</summary>
    private const int MaxRounds = 8;

    // Chunk digests cost a pass over the series; kept while the series is pending, so a resumed
    // upload does not pay it again. Pruned by the uplink when a series leaves the store.
    private readonly Dictionary<string, TransferOffer> _offers = [];

    // Where each series' header and frame tags lie (see InSendingOrderAsync); kept as long as the offer.
    private readonly Dictionary<string, (long ManifestEnd, long[] TagOffsets)> _leading = [];

    public async Task<UploadOutcome> UploadAsync(IHostChannel channel, string seriesId, CancellationToken cancellationToken)
    {
        using var envelope = await store.OpenEnvelopeAsync(seriesId, cancellationToken);
        if (envelope is null)
        {
            return UploadOutcome.Gone;
        }

        var offer = await OfferForAsync(seriesId, envelope, cancellationToken);
        LogOffering(logger, seriesId, offer.Length, offer.ChunkCount);
        var id = Guid.Parse(seriesId);
        var answer = await RequestAsync(channel, id, ApplianceTopics.Upload(identity.DeviceId), ProtocolJson.Serialize(offer), cancellationToken);
        for (var round = 0; round < MaxRounds && answer is not null; round++)
        {
            switch (answer.State)
            {
                case TransferState.Filed:
                    LogFiled(logger, seriesId, answer.Receiver);
                    return UploadOutcome.Filed;
                case TransferState.Rejected:
                    LogRejected(logger, seriesId, answer.Reason ?? "no reason given");
                    return UploadOutcome.Rejected;
                case TransferState.Unknown:
                    answer = await RequestAsync(channel, id, ApplianceTopics.Upload(identity.DeviceId), ProtocolJson.Serialize(offer), cancellationToken);
                    continue;
            }

            var missing = await InSendingOrderAsync(seriesId, envelope, offer, answer.MissingIndices().Where(i => i < offer.ChunkCount), cancellationToken);
            var transferTopic = ApplianceTopics.Transfer(identity.DeviceId, answer.Receiver);
            LogSending(logger, seriesId, missing.Count, offer.ChunkCount, answer.Receiver);
            await SendChunksAsync(channel, transferTopic, id, offer, envelope, missing, cancellationToken);
            LogChunksAcknowledged(logger, seriesId, missing.Count);
            answer = await RequestAsync(channel, id, transferTopic, TransferFrame.Encode(TransferFrameKind.End, id, offer.ChunkCount, []), cancellationToken);
        }

        LogUnfinished(logger, seriesId);
        return UploadOutcome.Unfinished;
    }

    /// <summary>Drops what is cached for series no longer pending.</summary>
    public void Forget(IEnumerable<string> seriesIds)
    {
        foreach (var id in seriesIds)
        {
            _offers.Remove(id);
            _leading.Remove(id);
        }
    }

    /// <summary>
    /// The chunks to send, those holding the envelope's header and manifest and each frame's
    /// authentication tag first, then the rest in order. The host checks the signature over the
    /// manifest and the tags before it opens anything, so with those in early it can open, seal
    /// and write the first frame while the later ones are still on their way.
    /// </summary>
    private async Task<List<int>> InSendingOrderAsync(string seriesId, IEnvelopeReader envelope, TransferOffer offer, IEnumerable<int> missing, CancellationToken cancellationToken)
    {
        if (!_leading.TryGetValue(seriesId, out var leading))
        {
            var prefix = new byte[(int)Math.Min(envelope.Length, SeriesEnvelope.MaxPrefixBytes)];
            await envelope.ReadAsync(0, prefix, cancellationToken);
            leading = SeriesEnvelope.TryDecodeLayout(prefix, envelope.Length, out _, out var layout, out _)
                ? (layout.FrameCount > 0 ? layout.FrameOffsets[0] : envelope.Length, [.. Enumerable.Range(0, layout.FrameCount).Select(layout.TagOffset)])
                : (0, []); // not an envelope we can read: the host will say so; the order no longer matters
            _leading[seriesId] = leading;
        }

        var first = LeadingChunks(leading.ManifestEnd, leading.TagOffsets, offer.ChunkSize).ToHashSet();
        var ordered = missing.Order().ToList();
        return [.. ordered.Where(first.Contains), .. ordered.Where(i => !first.Contains(i))];
    }

    /// <summary>The chunks holding the routing and sealed manifest (everything before <paramref name="manifestEnd"/>) and each frame's tag.</summary>
    private static IEnumerable<int> LeadingChunks(long manifestEnd, long[] tagOffsets, int chunkSize)
    {
        int ChunkOf(long offset) => (int)(offset / chunkSize);
        var tags = tagOffsets.SelectMany(t => new[] { ChunkOf(t), ChunkOf(t + SeriesSealing.TagSize - 1) });
        return Enumerable.Range(0, manifestEnd > 0 ? ChunkOf(manifestEnd - 1) + 1 : 0).Concat(tags);
    }

    public IReadOnlyCollection<string> CachedSeries => _offers.Keys;

    private async Task<TransferOffer> OfferForAsync(string seriesId, IEnvelopeReader envelope, CancellationToken cancellationToken)
    {
        var chunkSize = options.Value.ChunkSize;
        if (_offers.TryGetValue(seriesId, out var cached) && cached.ChunkSize == chunkSize && cached.Length == envelope.Length)
        {
            return cached;
        }

        // Hashed when the series was stored, at the default chunk size: no pass over it here.
        if (await store.FindAsync(seriesId, cancellationToken) is { Chunks: { } stored } && stored.Fit(envelope.Length, chunkSize))
        {
            return _offers[seriesId] = new TransferOffer(seriesId, identity.DeviceId, envelope.Length, chunkSize, stored.Sha256);
        }

        var count = TransferOffer.ChunkCountFor(envelope.Length, chunkSize);
        var digests = new string[count];
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var length = (int)Math.Min(chunkSize, envelope.Length - ((long)i * chunkSize));
                await envelope.ReadAsync((long)i * chunkSize, buffer.AsMemory(0, length), cancellationToken);
                digests[i] = Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, length)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var offer = new TransferOffer(seriesId, identity.DeviceId, envelope.Length, chunkSize, digests);
        _offers[seriesId] = offer;
        return offer;
    }

    /// <summary>Publishes the chunks with a bounded number awaiting their acknowledgement.</summary>
    private async Task SendChunksAsync(IHostChannel channel, string topic, Guid id, TransferOffer offer, IEnvelopeReader envelope, List<int> indices, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<(Task Sent, byte[] Buffer)>();
        try
        {
            foreach (var index in indices)
            {
                if (inFlight.Count >= options.Value.ChunksInFlight)
                {
                    var (sent, buffer) = inFlight.Dequeue();
                    await sent;
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                var length = offer.ChunkLength(index);
                var frame = ArrayPool<byte>.Shared.Rent(TransferFrame.HeaderLength + length);
                TransferFrame.WriteHeader(frame, TransferFrameKind.Chunk, id, index);
                await envelope.ReadAsync((long)index * offer.ChunkSize, frame.AsMemory(TransferFrame.HeaderLength, length), cancellationToken);
                inFlight.Enqueue((channel.PublishAsync(topic, new ArraySegment<byte>(frame, 0, TransferFrame.HeaderLength + length), cancellationToken), frame));
            }

            while (inFlight.Count > 0)
            {
                var (sent, buffer) = inFlight.Dequeue();
                await sent;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        finally
        {
            // On a cut connection the remaining publishes fail; their buffers are left to the
            // collector rather than returned while the client might still be writing from them.
            foreach (var (sent, _) in inFlight)
            {
                _ = sent.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Publishes a request and waits for the host's answer about this series; null on timeout.</summary>
    private async Task<TransferProgress?> RequestAsync(IHostChannel channel, Guid id, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        var answer = board.Expect(id);
        try
        {
            if (!await channel.PublishAsync(topic, payload, cancellationToken))
            {
                // Nobody to answer (the host's client is reconnecting after a broker restart): no point waiting.
                LogNobodyListening(logger, id);
                return null;
            }

            return await answer.WaitAsync(options.Value.ProgressTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogNoAnswer(logger, id, options.Value.ProgressTimeout.TotalSeconds);
            return null;
        }
        finally
        {
            board.Forget(id);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Series {SeriesId}: sending {Missing} of {Chunks} chunks to {Receiver}")]
    private static partial void LogSending(ILogger logger, string seriesId, int missing, int chunks, string receiver);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Debug, Message = "Series {SeriesId}: offering {Bytes} bytes in {Chunks} chunks")]
    private static partial void LogOffering(ILogger logger, string seriesId, long bytes, int chunks);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Debug, Message = "Series {SeriesId}: {Count} chunks acknowledged by the broker; sending the end")]
    private static partial void LogChunksAcknowledged(ILogger logger, string seriesId, int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Series {SeriesId} filed by {Receiver}; waiting for the signed receipt")]
    private static partial void LogFiled(ILogger logger, string seriesId, string receiver);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Series {SeriesId} refused by the host: {Reason}; kept and offered again later")]
    private static partial void LogRejected(ILogger logger, string seriesId, string reason);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Series {SeriesId}: no answer from the host within {Seconds} s")]
    private static partial void LogNoAnswer(ILogger logger, Guid seriesId, double seconds);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Series {SeriesId}: no host is subscribed at the broker just now")]
    private static partial void LogNobodyListening(ILogger logger, Guid seriesId);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Series {SeriesId}: transfer not finished this time; tried again later")]
    private static partial void LogUnfinished(ILogger logger, string seriesId);
}
