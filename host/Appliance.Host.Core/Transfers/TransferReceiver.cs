using System.Security.Cryptography;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Transfers;

/// <summary>A transfer moved on: <see cref="Have"/> of <see cref="Chunks"/> chunks are in.</summary>
public sealed record TransferAdvanced(string DeviceId, string SeriesId, int Have, int Chunks);

/// <summary>
/// The host's half of the chunked transfer. An offer opens (or resumes) a transfer and is answered
/// with the chunks still missing; each chunk is checked against its digest from the offer and
/// written at its place, so duplicated and reordered chunks are harmless and truncated or
/// corrupted ones are refused; the end files the assembled series, or answers with what is still
/// missing. Chunks are kept on disk (sealed, as they came), so a restart of the host resumes
/// where it stopped: the digests tell which chunks it already holds.
/// </summary>
public sealed partial class TransferReceiver(
    ITransferStore store,
    SeriesFilingService filing,
    IDeviceMessagePublisher publisher,
    IAuditTrail audit,
    IOptions<TransferOptions> options,
    TimeProvider time,
    ILogger<TransferReceiver> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string DeviceId, Guid SeriesId), OpenTransfer> _open = [];

    // Filings of dropped or replaced transfers, until they have stopped (and cleaned up after themselves).
    private readonly Dictionary<(string DeviceId, Guid SeriesId), Task> _stopping = [];
    private bool _loaded;

    /// <summary>
    /// Raised with the reason whenever a transfer frame is refused. A refused offer is a refused
    /// upload: it is audited and reported through <see cref="SeriesFilingService.Rejected"/>.
    /// </summary>
    public event EventHandler<string>? Rejected;

    /// <summary>Raised after each new chunk is written: how far that transfer has got.</summary>
    public event EventHandler<TransferAdvanced>? ChunkStored;

    public string InstanceId => options.Value.InstanceId;

    /// <summary>Transfers open now; for the fleet view and tests.</summary>
    public int OpenCount => _open.Count;

    /// <summary>Handles an offer on <c>…/upload</c>.</summary>
    public async Task OfferAsync(string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<TransferOffer>(payload.Span, out var offer, out var error))
        {
            Reject(deviceId, null, error, audit: true);
            return;
        }

        var o = options.Value;
        var invalid = offer.Validate(o.MaxSeriesBytes, o.MaxChunkSize)
            ?? (offer.ChunkCount > o.MaxChunks ? $"more than {o.MaxChunks} chunks: use larger chunks" : null)
            ?? (offer.DeviceId != deviceId ? $"offer names device {offer.DeviceId} but arrived on {deviceId}'s topic" : null);
        if (invalid is not null)
        {
            var id = Guid.TryParse(offer.SeriesId, out _) ? offer.SeriesId : null;
            Reject(deviceId, id, invalid, audit: true);
            if (id is not null)
            {
                // Told, so that the appliance keeps the series and tries later instead of waiting out an answer.
                await ReplyAsync(deviceId, new TransferProgress(id, InstanceId, TransferState.Rejected, [], invalid), cancellationToken);
            }

            return;
        }

        var seriesId = Guid.Parse(offer.SeriesId);
        offer = offer with { SeriesId = seriesId.ToString() };
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync(cancellationToken);
            await SweepExpiredAsync(cancellationToken);
            if (await filing.ConfirmIfFiledAsync(deviceId, offer.SeriesId, null, cancellationToken) is { } filed)
            {
                // A replayed offer, or one whose receipt was lost: filing confirmed it again (or refused it).
                await ReplyAsync(deviceId, Answer(offer.SeriesId, filed), cancellationToken);
                return;
            }

            var key = (deviceId, seriesId);
            if (_open.TryGetValue(key, out var open) && open.Offer.Matches(offer))
            {
                await EnsureVerifiedAsync(open, cancellationToken);
                LogResumed(logger, offer.SeriesId, deviceId, open.HaveCount, offer.ChunkCount);
            }
            else
            {
                // Another offer for this id (say, another chunk size) replaces the old transfer and its filing.
                if (open is not null)
                {
                    Retire(key, open);
                }

                await MakeRoomAsync(deviceId, cancellationToken);
                await store.BeginAsync(offer, cancellationToken);
                open = new OpenTransfer(offer, new bool[offer.ChunkCount], 0, time.GetUtcNow(), _stopping.GetValueOrDefault(key));
                _open[key] = open;
                LogOpened(logger, offer.SeriesId, deviceId, offer.Length, offer.ChunkCount);
            }

            open.Touch(time.GetUtcNow());
            await ReplyAsync(deviceId, open.Progress(InstanceId), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Handles a chunk or an end on <c>…/transfer/{receiver}</c>.</summary>
    public async Task ReceiveAsync(string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!TransferFrame.TryDecode(payload, out var kind, out var seriesId, out var index, out var chunk, out var error))
        {
            Reject(deviceId, null, error, audit: false);
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync(cancellationToken);
            if (!_open.TryGetValue((deviceId, seriesId), out var open))
            {
                await HandleUnknownAsync(deviceId, seriesId, kind, cancellationToken);
                return;
            }

            await EnsureVerifiedAsync(open, cancellationToken);
            open.Touch(time.GetUtcNow());
            if (kind == TransferFrameKind.Chunk)
            {
                await WriteChunkAsync(deviceId, open, index, chunk, cancellationToken);
            }
            else if (open.IsComplete)
            {
                await FileAsync(deviceId, open, cancellationToken);
            }
            else
            {
                await ReplyAsync(deviceId, open.Progress(InstanceId), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteChunkAsync(string deviceId, OpenTransfer open, int index, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        var offer = open.Offer;
        if (index >= offer.ChunkCount)
        {
            Reject(deviceId, offer.SeriesId, $"chunk {index} is past the last chunk ({offer.ChunkCount - 1})", audit: false);
            return;
        }

        if (chunk.Length != offer.ChunkLength(index))
        {
            Reject(deviceId, offer.SeriesId, $"chunk {index} is {chunk.Length} bytes, expected {offer.ChunkLength(index)} (truncated)", audit: false);
            return;
        }

        if (!DigestMatches(chunk.Span, offer.ChunkSha256[index]))
        {
            Reject(deviceId, offer.SeriesId, $"chunk {index} does not match its digest (corrupted)", audit: false);
            return;
        }

        if (open.Have![index])
        {
            return; // a duplicate (a resend after a lost PUBACK): already written, nothing to do
        }

        await store.WriteAsync(deviceId, offer.SeriesId, (long)index * offer.ChunkSize, chunk, cancellationToken);
        open.Mark(index);
        // Filing starts with the first chunk and goes as far as the chunks in allow (see OpenTransfer).
        _ = StartFiling(deviceId, open);
        ChunkStored?.Invoke(this, new TransferAdvanced(deviceId, offer.SeriesId, open.HaveCount, offer.ChunkCount));
    }

    /// <summary>Starts this transfer's filing, straight from the part file, unless it is under way.</summary>
    private Task<FilingOutcome> StartFiling(string deviceId, OpenTransfer open) =>
        open.StartFiling(store, (upload, ct) => filing.FileAsync(deviceId, upload, ct));

    private async Task FileAsync(string deviceId, OpenTransfer open, CancellationToken cancellationToken)
    {
        var offer = open.Offer;
        audit.Append(AuditKinds.SeriesReceived, deviceId, offer.SeriesId, $"{offer.Length} bytes in {offer.ChunkCount} chunks, to {InstanceId}");
        // Every chunk is in, so the filing (most of it done while they arrived) can finish now.
        var outcome = await StartFiling(deviceId, open).WaitAsync(cancellationToken);
        // Filed or refused, the chunks have served: a refused series is offered again from the
        // appliance's copy if the cause (a missing job, an unregistered key) is put right.
        await store.DeleteAsync(deviceId, offer.SeriesId, cancellationToken);
        _open.Remove((deviceId, Guid.Parse(offer.SeriesId)));
        open.Dispose();
        await ReplyAsync(deviceId, Answer(offer.SeriesId, outcome), cancellationToken);
    }

    private TransferProgress Answer(string seriesId, FilingOutcome outcome) =>
        outcome.Filed is not null
            ? new TransferProgress(seriesId, InstanceId, TransferState.Filed, [])
            : new TransferProgress(seriesId, InstanceId, TransferState.Rejected, [], outcome.Rejection);

    private async Task HandleUnknownAsync(string deviceId, Guid seriesId, TransferFrameKind kind, CancellationToken cancellationToken)
    {
        var id = seriesId.ToString();
        if (kind == TransferFrameKind.End && await filing.ConfirmIfFiledAsync(deviceId, id, null, cancellationToken) is { } filed)
        {
            // The end of a series filed a moment ago (its chunks completed it before a restart, say).
            await ReplyAsync(deviceId, Answer(id, filed), cancellationToken);
            return;
        }

        Reject(deviceId, id, "no open transfer for this series on this host: offer it again", audit: false);
        if (kind == TransferFrameKind.End)
        {
            // Only the end is answered: a reply per stray chunk would flood the device.
            await ReplyAsync(deviceId, new TransferProgress(id, InstanceId, TransferState.Unknown, []), cancellationToken);
        }
    }

    /// <summary>After a restart: picks up the transfers on disk; which chunks they hold is checked when each is next touched.</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        foreach (var stored in await store.ListAsync(cancellationToken))
        {
            var offer = stored.Offer;
            _open[(offer.DeviceId, Guid.Parse(offer.SeriesId))] = new OpenTransfer(offer, null, 0, stored.LastWrite);
        }

        _loaded = true;
        if (_open.Count > 0)
        {
            LogLoaded(logger, _open.Count);
        }
    }

    /// <summary>A transfer loaded from disk does not know which chunks it holds until each is hashed again.</summary>
    private async Task EnsureVerifiedAsync(OpenTransfer open, CancellationToken cancellationToken)
    {
        if (open.Have is not null)
        {
            return;
        }

        var offer = open.Offer;
        var have = new bool[offer.ChunkCount];
        var count = 0;
        var buffer = new byte[offer.ChunkSize];
        for (var i = 0; i < have.Length; i++)
        {
            var length = offer.ChunkLength(i);
            await store.ReadAsync(offer.DeviceId, offer.SeriesId, (long)i * offer.ChunkSize, buffer.AsMemory(0, length), cancellationToken);
            if (DigestMatches(buffer.AsSpan(0, length), offer.ChunkSha256[i]))
            {
                have[i] = true;
                count++;
            }
        }

        open.Verified(have, count);
    }

    private async Task MakeRoomAsync(string deviceId, CancellationToken cancellationToken)
    {
        var mine = _open.Where(t => t.Key.DeviceId == deviceId).OrderBy(t => t.Value.LastTouched).ToList();
        for (var i = 0; i <= mine.Count - options.Value.MaxOpenPerDevice; i++)
        {
            LogDropped(logger, mine[i].Value.Offer.SeriesId, deviceId, "too many open transfers for this device");
            await DropAsync(mine[i].Key, cancellationToken);
        }
    }

    private async Task SweepExpiredAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.Expiry;
        foreach (var (stale, transfer) in _open.Where(t => t.Value.LastTouched < cutoff).ToList())
        {
            LogDropped(logger, transfer.Offer.SeriesId, stale.DeviceId, "expired");
            await DropAsync(stale, cancellationToken);
        }
    }

    private async Task DropAsync((string DeviceId, Guid SeriesId) key, CancellationToken cancellationToken)
    {
        if (_open.Remove(key, out var dropped))
        {
            Retire(key, dropped);
        }

        await store.DeleteAsync(key.DeviceId, key.SeriesId.ToString(), cancellationToken);
    }

    /// <summary>Stops a transfer's filing (if waiting for chunks, it leaves nothing in the archive); a later transfer of the series files after it has stopped.</summary>
    private void Retire((string DeviceId, Guid SeriesId) key, OpenTransfer transfer)
    {
        foreach (var stopped in _stopping.Where(s => s.Value.IsCompleted).Select(s => s.Key).ToList())
        {
            _stopping.Remove(stopped);
        }

        if (transfer.Filing is { IsCompleted: false } filing)
        {
            _stopping[key] = filing;
        }

        transfer.Dispose();
    }

    private Task ReplyAsync(string deviceId, TransferProgress progress, CancellationToken cancellationToken) =>
        publisher.PublishAsync(ApplianceTopics.Progress(deviceId), ProtocolJson.Serialize(progress), cancellationToken);

    private void Reject(string deviceId, string? seriesId, string reason, bool audit)
    {
        if (audit)
        {
            filing.Reject(deviceId, seriesId, reason);
            return;
        }

        LogRejected(logger, deviceId, seriesId ?? "-", reason);
        Rejected?.Invoke(this, reason);
    }

    private static bool DigestMatches(ReadOnlySpan<byte> bytes, string expectedHex)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(bytes, digest);
        Span<byte> expected = stackalloc byte[32];
        return Convert.FromHexString(expectedHex, expected, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == 32
            && CryptographicOperations.FixedTimeEquals(digest, expected);
    }

    /// <summary>
    /// Stops every filing under way and waits (boundedly) until they have: the archive is disposed
    /// after this receiver, and LiteDB's shared engine disposed mid-operation releases its mutex
    /// from the wrong thread.
    /// </summary>
    public void Dispose()
    {
        var filings = _open.Values.Select(o => o.Filing).Concat(_stopping.Values).OfType<Task>().ToList();
        foreach (var open in _open.Values)
        {
            open.Dispose();
        }

        _open.Clear();
        Task.WhenAll(filings).ContinueWith(static _ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(30));
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Transfer of series {SeriesId} from {DeviceId} opened: {Bytes} bytes in {Chunks} chunks")]
    private static partial void LogOpened(ILogger logger, string seriesId, string deviceId, long bytes, int chunks);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Transfer of series {SeriesId} from {DeviceId} resumed with {Have} of {Chunks} chunks")]
    private static partial void LogResumed(ILogger logger, string seriesId, string deviceId, int have, int chunks);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Transfer from {DeviceId}, series {SeriesId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string deviceId, string seriesId, string reason);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Information, Message = "{Count} unfinished transfers found on disk; resuming them as their devices return")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Information, Message = "Transfer of series {SeriesId} from {DeviceId} dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string seriesId, string deviceId, string reason);
}
