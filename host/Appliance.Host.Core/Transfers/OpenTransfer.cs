using Appliance.Host.Core.Filing;
using Appliance.Protocol;

namespace Appliance.Host.Core.Transfers;

/// <summary>
/// One unfinished transfer: its offer, which chunks are in (null until checked after a restart),
/// and its filing, which starts with the first chunk and reads each part of the envelope as soon
/// as the chunks holding it are in: the signature and manifest once the header and the frames'
/// tags are in (the appliance sends those chunks first), the first frame sealed and written to
/// the archive while the second is still arriving. Only the record waits for the last chunk.
/// </summary>
/// <param name="after">
/// The filing of a transfer of the same series this one replaces, still stopping: this one's
/// filing starts after it, so the old one's clean-up cannot remove what the new one writes.
/// </param>
internal sealed class OpenTransfer(TransferOffer offer, bool[]? have, int haveCount, DateTimeOffset lastTouched, Task? after = null) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _abandoned = new();
    private TaskCompletionSource _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TransferOffer Offer { get; } = offer;

    public bool[]? Have { get; private set; } = have;

    public int HaveCount { get; private set; } = haveCount;

    public DateTimeOffset LastTouched { get; private set; } = lastTouched;

    public bool IsComplete => Have is not null && HaveCount == Have.Length;

    /// <summary>The filing of this transfer, once started; a failed one is started again at the end.</summary>
    public Task<FilingOutcome>? Filing { get; private set; }

    public void Touch(DateTimeOffset now) => LastTouched = now;

    public void Mark(int index)
    {
        lock (_lock)
        {
            Have![index] = true;
            HaveCount++;
        }

        Arrived();
    }

    public void Verified(bool[] have, int count)
    {
        lock (_lock)
        {
            Have = have;
            HaveCount = count;
        }

        Arrived();
    }

    public TransferProgress Progress(string receiver) => new(
        Offer.SeriesId,
        receiver,
        TransferState.Receiving,
        TransferProgress.ToRanges(Enumerable.Range(0, Have!.Length).Where(i => !Have[i])));

    /// <summary>
    /// Starts filing (unless one is running or done) from the part file in <paramref name="store"/>,
    /// each read waiting for its chunks; the filing is cancelled if the transfer is abandoned.
    /// </summary>
    public Task<FilingOutcome> StartFiling(ITransferStore store, Func<ISealedUpload, CancellationToken, Task<FilingOutcome>> file)
    {
        if (Filing is { IsFaulted: false, IsCanceled: false } running)
        {
            return running;
        }

        var upload = new ArrivingUpload(this, store);
        var token = _abandoned.Token;
        Filing = Task.Run(
            async () =>
            {
                if (after is not null)
                {
                    await after.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                return await file(upload, token);
            },
            CancellationToken.None);
        // Nobody may await it before the end; a failure is taken up there (the filing starts again).
        _ = Filing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return Filing;
    }

    /// <summary>The transfer is dropped (expired, replaced, the host stopping): a filing waiting for chunks stops and leaves nothing.</summary>
    public void Dispose()
    {
        _abandoned.Cancel();
        if (Filing is null)
        {
            _abandoned.Dispose();
            return;
        }

        // Released once the filing has stopped using it; its failure is observed here: an
        // abandoned filing ends cancelled, which is the point.
        _ = Filing.ContinueWith(
            (t, cts) =>
            {
                _ = t.Exception;
                ((CancellationTokenSource)cts!).Dispose();
            },
            _abandoned,
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private void Arrived()
    {
        TaskCompletionSource arrived;
        lock (_lock)
        {
            arrived = _arrival;
            _arrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.TrySetResult();
    }

    /// <summary>Waits until every chunk holding bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/> is in.</summary>
    private async Task WaitForAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (length <= 0)
        {
            return;
        }

        var first = (int)(offset / Offer.ChunkSize);
        var last = (int)((offset + length - 1) / Offer.ChunkSize);
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (Have is not null && Enumerable.Range(first, last - first + 1).All(i => Have[i]))
                {
                    return;
                }

                next = _arrival.Task;
            }

            await next.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The part file as filing reads it: a read of chunks not yet in waits for them.</summary>
    private sealed class ArrivingUpload(OpenTransfer transfer, ITransferStore store) : ISealedUpload
    {
        public long Length => transfer.Offer.Length;

        public Task WaitForAsync(long offset, long length, CancellationToken cancellationToken) =>
            transfer.WaitForAsync(offset, length, cancellationToken);

        public async Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            await transfer.WaitForAsync(offset, destination.Length, cancellationToken);
            await store.ReadAsync(transfer.Offer.DeviceId, transfer.Offer.SeriesId, offset, destination, cancellationToken);
        }
    }
}
