namespace Appliance.Host.Core.Pacs;

public enum PacsDeliveryState
{
    /// <summary>Waiting for its next attempt (the first, or one after a failure the PACS may get over).</summary>
    Queued,

    /// <summary>The PACS confirmed every instance.</summary>
    Sent,

    /// <summary>The PACS refused it for good (it will not take these instances as they are): an admin's to look at.</summary>
    Refused,
}

/// <summary>Where one filed series stands on its way to the PACS.</summary>
public sealed record PacsDelivery(
    string SeriesId,
    PacsDeliveryState State,
    int Attempts,
    DateTimeOffset QueuedAt,
    DateTimeOffset NextAttemptAt,
    string? LastError = null,
    DateTimeOffset? SentAt = null,
    int Instances = 0);

/// <summary>The queue at a glance for the fleet page: how many are in each state, and which the PACS refused.</summary>
public sealed record PacsQueueSummary(int Sent, int Waiting, int Refused, DateTimeOffset? OldestWaitingSince, IReadOnlyList<PacsDelivery> RefusedDeliveries);

/// <summary>
/// The deliveries to the PACS, kept with the archive so they survive a restart and are shared
/// by every host instance: each series once, taken by one instance at a time for a lease.
/// </summary>
public interface IPacsQueue
{
    /// <summary>Queues each series not queued or sent already (a series is never sent twice by being queued twice); answers how many were new.</summary>
    Task<int> EnqueueAsync(IReadOnlyCollection<string> seriesIds, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="max"/> queued deliveries due by <paramref name="now"/>, oldest
    /// due first, and moves their next attempt to <paramref name="leaseUntil"/>: no other instance
    /// takes them meanwhile, and if this one dies they fall due again then.
    /// </summary>
    Task<IReadOnlyList<PacsDelivery>> TakeDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken);

    /// <summary>When the next queued delivery falls due; null if none is queued.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    Task MarkSentAsync(string seriesId, DateTimeOffset at, int instances, CancellationToken cancellationToken);

    /// <summary>
    /// Records a series the PACS already holds (stored there as it was filed) as sent, in one step:
    /// queued or not before, it is never seen due, so no forwarder sends it again.
    /// </summary>
    Task RecordSentAsync(string seriesId, DateTimeOffset at, int instances, CancellationToken cancellationToken);

    /// <summary>Records a failed attempt: queued again for <paramref name="nextAttemptAt"/>, or refused for good.</summary>
    Task MarkFailedAsync(string seriesId, int attempts, DateTimeOffset nextAttemptAt, string error, bool refused, CancellationToken cancellationToken);

    /// <summary>Queues a refused delivery again at once (after the admin fixed what the PACS refused); false if it is not refused.</summary>
    Task<bool> RetryAsync(string seriesId, DateTimeOffset at, CancellationToken cancellationToken);

    Task<PacsDelivery?> FindAsync(string seriesId, CancellationToken cancellationToken);

    /// <summary>Counts by state, when the longest-waiting delivery was queued, and up to <paramref name="maxRefused"/> refused deliveries, newest queued first.</summary>
    Task<PacsQueueSummary> SummarizeAsync(int maxRefused, CancellationToken cancellationToken);

    /// <summary>Every delivery, newest queued first.</summary>
    Task<IReadOnlyList<PacsDelivery>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>The trust's PACS, as far as filing needs it.</summary>
public interface IPacs
{
    /// <summary>Where it is, for people (no credentials).</summary>
    string Describe();

    /// <summary>
    /// Stores one series' DICOM instances (STOW-RS). Storing the same instances again changes
    /// nothing (a PACS keys them by SOP Instance UID). Throws <see cref="PacsRefusedException"/>
    /// when the PACS will not take them as they are, and anything else when it may later.
    /// </summary>
    Task StoreAsync(IReadOnlyList<byte[]> instances, CancellationToken cancellationToken);

    /// <summary>One instance's pixels as stored (WADO-RS, its first frame, uncompressed); <see cref="KeyNotFoundException"/> if the PACS does not hold it.</summary>
    Task<byte[]> RetrievePixelsAsync(string studyUid, string seriesUid, string instanceUid, CancellationToken cancellationToken);
}

/// <summary>The PACS refused the instances for good: trying again unchanged would not help.</summary>
public sealed class PacsRefusedException : Exception
{
    public PacsRefusedException()
    {
    }

    public PacsRefusedException(string message)
        : base(message)
    {
    }

    public PacsRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
