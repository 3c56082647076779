using System.Threading.Channels;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Exports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Pacs;

/// <summary>
/// Sends every filed series to the trust's PACS once: each frame as a Dermoscopic Photography
/// instance (the UIDs derived from the series, so a repeat is the same instance), all of a series
/// in one STOW-RS request. A series is queued before its receipt goes (<see cref="PacsHandOver"/>),
/// and at start every filed series the queue does not know is queued (all of them when forwarding
/// is first turned on). A failure is tried again after a wait that doubles each time; a refusal
/// (the PACS will not take the instances as they are) stops and is audited for an admin.
/// Several instances share the queue: each takes deliveries for a lease, so none is sent by two
/// at once, and one that dies mid-send leaves it to the others when the lease ends.
/// </summary>
public sealed partial class PacsForwarder(
    IPacsQueue queue,
    IPacs pacs,
    ISeriesArchive archive,
    ICalibrationProfiles profiles,
    PacsHandOver handOver,
    IAuditTrail audit,
    IOptions<PacsOptions> options,
    TimeProvider time,
    ILogger<PacsForwarder> logger) : BackgroundService
{
    private const int Batch = 4;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private bool _archiveQueued;

    /// <summary>Raised once the PACS confirmed a series' instances.</summary>
    public event EventHandler<PacsDelivery>? Delivered;

    /// <summary>Raised after an attempt failed (queued again, or refused).</summary>
    public event EventHandler<PacsDelivery>? AttemptFailed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        handOver.Queued += OnQueued;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    await RunRoundAsync(stoppingToken);
                    wait = await UntilNextDueAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The queue's store itself failed (the database away): what is queued stays queued.
                    LogRoundFailed(logger, ex.Message);
                    wait = options.Value.FirstRetry;
                }

                _ = await Task.WhenAny(_wake.Reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(wait, time, stoppingToken)); // does not throw
                _wake.Reader.TryRead(out _);
            }
        }
        finally
        {
            handOver.Queued -= OnQueued;
        }
    }

    private void OnQueued(object? sender, string seriesId) => _wake.Writer.TryWrite(true);

    private async Task QueueWhatTheArchiveHoldsAsync(CancellationToken cancellationToken)
    {
        var added = await queue.EnqueueAsync([.. await archive.ListSeriesIdsAsync(cancellationToken)], time.GetUtcNow(), cancellationToken);
        if (added > 0)
        {
            var where = pacs.Describe();
            LogQueuedAtStart(logger, added, where);
        }
    }

    private async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        if (!_archiveQueued)
        {
            await QueueWhatTheArchiveHoldsAsync(cancellationToken);
            _archiveQueued = true;
        }

        while (true)
        {
            var now = time.GetUtcNow();
            var due = await queue.TakeDueAsync(now, now + options.Value.Lease, Batch, cancellationToken);
            if (due.Count == 0)
            {
                return;
            }

            foreach (var delivery in due)
            {
                await DeliverAsync(delivery, cancellationToken);
            }
        }
    }

    private async Task DeliverAsync(PacsDelivery delivery, CancellationToken cancellationToken)
    {
        var attempts = delivery.Attempts + 1;
        try
        {
            var series = await archive.FindAsync(delivery.SeriesId, cancellationToken) ?? throw new PacsRefusedException("the series is no longer filed");
            var instances = await InstancesAsync(series, cancellationToken);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.Value.RequestTimeout);
                await pacs.StoreAsync(instances, timeout.Token);
            }

            var sentAt = time.GetUtcNow();
            await queue.MarkSentAsync(series.SeriesId, sentAt, instances.Count, cancellationToken);
            // Only once the PACS has confirmed every instance, and only when configured: the PACS is the record from then on.
            var released = !options.Value.KeepLocalCopy && await archive.ReleaseFramesAsync(series.SeriesId, cancellationToken);
            audit.Append(AuditKinds.SeriesSentToPacs, "pacs-forwarder", series.SeriesId,
                $"{instances.Count} instances to {pacs.Describe()}, attempt {attempts}{(released ? "; the local copy of the frames removed" : string.Empty)}");
            LogSent(logger, series.SeriesId, instances.Count, attempts);
            Delivered?.Invoke(this, delivery with { State = PacsDeliveryState.Sent, Attempts = attempts, SentAt = sentAt, Instances = instances.Count });
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            var refused = ex is PacsRefusedException;
            var next = time.GetUtcNow() + Backoff(attempts);
            await queue.MarkFailedAsync(delivery.SeriesId, attempts, next, ex.Message, refused, cancellationToken);
            if (refused)
            {
                audit.Append(AuditKinds.PacsRefused, "pacs-forwarder", delivery.SeriesId, ex.Message);
                LogRefused(logger, delivery.SeriesId, ex.Message);
            }
            else
            {
                LogNotYetSent(logger, delivery.SeriesId, attempts, ex.Message, next);
            }

            AttemptFailed?.Invoke(this, delivery with { State = refused ? PacsDeliveryState.Refused : PacsDeliveryState.Queued, Attempts = attempts, NextAttemptAt = next, LastError = ex.Message });
        }
    }

    private async Task<List<byte[]>> InstancesAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        var profile = await profiles.FindProfileAsync(series.DeviceId, series.CalibrationId, cancellationToken);
        var uids = DermoscopyUids.Of(series);
        var instances = new List<byte[]>(series.Frames.Count);
        foreach (var frame in series.Frames)
        {
            var pixels = await archive.ReadFrameAsync(series.SeriesId, frame.Index, cancellationToken);
            try
            {
                instances.Add(DermoscopyDicom.InstanceOf(series, frame, pixels, profile, uids));
            }
            finally
            {
                Array.Clear(pixels);
            }
        }

        return instances;
    }

    private TimeSpan Backoff(int attempts)
    {
        var o = options.Value;
        var doubled = o.FirstRetry * Math.Pow(2, Math.Min(attempts - 1, 30));
        return doubled < o.LongestRetry ? doubled : o.LongestRetry;
    }

    private async Task<TimeSpan> UntilNextDueAsync(CancellationToken cancellationToken)
    {
        var next = await queue.NextDueAsync(cancellationToken);
        var check = options.Value.CheckInterval;
        if (next is null)
        {
            return check;
        }

        var until = next.Value - time.GetUtcNow();
        return until <= TimeSpan.Zero ? TimeSpan.Zero : until < check ? until : check;
    }

    [LoggerMessage(EventId = 5801, Level = LogLevel.Information, Message = "Series {SeriesId} sent to the PACS: {Instances} instances, attempt {Attempt}")]
    private static partial void LogSent(ILogger logger, string seriesId, int instances, int attempt);

    [LoggerMessage(EventId = 5802, Level = LogLevel.Warning, Message = "Series {SeriesId} not sent to the PACS yet (attempt {Attempt}): {Reason}; next try at {NextAttemptAt}")]
    private static partial void LogNotYetSent(ILogger logger, string seriesId, int attempt, string reason, DateTimeOffset nextAttemptAt);

    [LoggerMessage(EventId = 5803, Level = LogLevel.Error, Message = "The PACS refused series {SeriesId}: {Reason}. It is not tried again until an admin runs `pacs retry`")]
    private static partial void LogRefused(ILogger logger, string seriesId, string reason);

    [LoggerMessage(EventId = 5804, Level = LogLevel.Information, Message = "Queued {Count} filed series for {Pacs} that it had not been sent")]
    private static partial void LogQueuedAtStart(ILogger logger, int count, string pacs);

    [LoggerMessage(EventId = 5805, Level = LogLevel.Warning, Message = "The PACS queue could not be read or written: {Reason}; tried again shortly")]
    private static partial void LogRoundFailed(ILogger logger, string reason);
}
