using Appliance.Firmware.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// Decides which stored series to send and when: every pending series in turn through
/// <see cref="SeriesUploader"/>, then not again until <c>Uplink:ReceiptTimeout</c> once filed (its
/// receipt is on the way) or refused, or <c>Uplink:PollInterval</c> when the transfer did not
/// finish. Wakes when a series is stored or the link drops, and looks anyway every poll interval.
/// </summary>
public sealed class UploadScheduler(
    ISeriesStore store,
    SeriesUploader uploader,
    WorkSignal signal,
    TimeProvider time,
    IOptions<UplinkOptions> options)
{
    private readonly Dictionary<string, DateTimeOffset> _nextAttempt = [];

    /// <summary>Uploads until the channel is lost or cancelled.</summary>
    public async Task RunAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        while (channel.IsConnected && !cancellationToken.IsCancellationRequested)
        {
            await UploadDueAsync(channel, cancellationToken);
            await signal.WaitAsync(options.Value.PollInterval, time, cancellationToken);
        }
    }

    /// <summary>One pass over the store: each pending series whose time has come is sent; returns how many were tried.</summary>
    public async Task<int> UploadDueAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var tried = 0;
        var pending = await store.ListPendingAsync(cancellationToken);
        foreach (var series in pending)
        {
            if (!channel.IsConnected)
            {
                break;
            }

            if (_nextAttempt.TryGetValue(series.SeriesId, out var next) && time.GetUtcNow() < next)
            {
                continue;
            }

            if (series.State == SeriesState.Queued)
            {
                await store.SetStateAsync(series.SeriesId, SeriesState.Uploading, cancellationToken);
            }

            tried++;
            var outcome = await uploader.UploadAsync(channel, series.SeriesId, cancellationToken);
            if (outcome != UploadOutcome.Gone)
            {
                _nextAttempt[series.SeriesId] = time.GetUtcNow() + (outcome == UploadOutcome.Unfinished ? o.PollInterval : o.ReceiptTimeout);
            }
        }

        // What left the store (a receipt deleted it) is forgotten here and in the uploader's cache.
        var held = pending.Select(p => p.SeriesId).ToHashSet();
        foreach (var gone in _nextAttempt.Keys.Where(id => !held.Contains(id)).ToList())
        {
            _nextAttempt.Remove(gone);
        }

        uploader.Forget([.. uploader.CachedSeries.Where(id => !held.Contains(id))]);
        return tried;
    }
}
