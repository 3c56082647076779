using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Jobs;

/// <summary>
/// One step in a job's life as the clinic page shows it. <c>At</c> is the host's clock (appliance
/// clocks drift); <c>ReportedAt</c> is the appliance's own time for a step it reported, which is
/// also how a status delivered twice is recognised.
/// </summary>
/// <summary>One step of a job's timeline; <paramref name="Step"/> the appliance's step for a job with an overview.</summary>
public sealed record JobEvent(DateTimeOffset At, string State, string? Detail = null, string? SeriesId = null, DateTimeOffset? ReportedAt = null, CaptureStep? Step = null);

/// <summary>What became of an event offered to a job's timeline.</summary>
public enum JobEventOutcome
{
    Appended,
    Duplicate,
    NoSuchJob,
    OtherDevicesJob,
}

/// <summary>A job with its timeline, for the clinic page.</summary>
public sealed record JobProgress(CaptureJobRecord Job, IReadOnlyList<JobEvent> Events)
{
    /// <summary>
    /// Where the job stands: filed outranks a late status, and a withdrawal outranks filed; an
    /// appliance showing itself for the job (identified) changes nothing of where it stands.
    /// </summary>
    public string State =>
        Events.Any(e => e.State == JobStates.ConsentWithdrawn) ? JobStates.ConsentWithdrawn
        : IsFiled ? JobStates.Filed
        : Events.LastOrDefault(e => e.State != JobStates.Identified) is { } last ? last.State
        : JobStates.Created;

    /// <summary>The series the job produced, once the appliance accepted it.</summary>
    public string? SeriesId => Events.LastOrDefault(e => e.SeriesId is not null)?.SeriesId;

    public bool IsFiled => Events.Any(e => e.State == JobStates.Filed);
}

/// <summary>The states a job's timeline can hold: the host's own and those the appliance reports.</summary>
public static class JobStates
{
    public const string Created = "created";
    public const string Sent = "sent";
    public const string Armed = "armed";
    public const string Capturing = "capturing";

    /// <summary>The appliance armed for the job showed itself (white light, three beeps) when staff asked from the job's page.</summary>
    public const string Identified = "identified";
    public const string Retake = "retake";
    public const string Accepted = "accepted";
    public const string Filed = "filed";
    public const string Refused = "refused";
    public const string Fault = "fault";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
    public const string ConsentWithdrawn = "consent-withdrawn";

    /// <summary>The appliance accepted the series longer ago than <see cref="JobOptions.FilingOverdueAfter"/> and the host has not filed it.</summary>
    public const string FilingOverdue = "filing-overdue";

    /// <summary>The appliance was wiped (remotely, by its lease or at the device) while it held this job's accepted series unfiled.</summary>
    public const string LostInWipe = "lost-in-wipe";

    /// <summary>Clinic staff have arranged for the patient of a series lost in a wipe to come back.</summary>
    public const string RecallArranged = "recall-arranged";

    /// <summary>
    /// Appliance states that belong to a job (others, like online or wiping, are the fleet's), and
    /// the job state each becomes: the same word, except that an appliance says "idle" when a job
    /// lapses before capture, which the job's timeline calls expired.
    /// </summary>
    public static readonly IReadOnlyDictionary<ApplianceState, string> FromAppliance = new Dictionary<ApplianceState, string>
    {
        [ApplianceState.Armed] = Armed,
        [ApplianceState.Capturing] = Capturing,
        [ApplianceState.Identifying] = Identified,
        [ApplianceState.Retake] = Retake,
        [ApplianceState.Accepted] = Accepted,
        [ApplianceState.Refused] = Refused,
        [ApplianceState.Fault] = Fault,
        [ApplianceState.Cancelled] = Cancelled,
        [ApplianceState.Idle] = Expired,
    };
}

/// <summary>
/// Keeps each capture job's timeline: sent by the host, then what the appliance reports about it
/// (armed, retake and why, accepted), then filed (from the archive). Statuses that name a job on another appliance
/// are ignored and logged: a device speaks only for its own jobs.
/// </summary>
public sealed partial class JobTracker(ICaptureJobRepository jobs, ISeriesArchive archive, TimeProvider time, ILogger<JobTracker> logger)
{
    /// <summary>Raised with the job id after its timeline grew.</summary>
    public event EventHandler<string>? Changed;

    public Task RecordSentAsync(CaptureJobRecord job, CancellationToken cancellationToken) =>
        AppendAsync(job.JobId, new JobEvent(time.GetUtcNow(), JobStates.Sent), cancellationToken);

    public async Task OnStatusAsync(ApplianceStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.JobId is null || !JobStates.FromAppliance.TryGetValue(status.State, out var jobState))
        {
            return;
        }

        var jobEvent = new JobEvent(time.GetUtcNow(), jobState, status.Reason, status.SeriesId, status.At, status.Step);
        // One read and one write: this runs on the host's receive loop, for every status.
        var outcome = await jobs.AppendJobEventAsync(status.JobId, jobEvent, cancellationToken, status.DeviceId);
        if (outcome is JobEventOutcome.NoSuchJob or JobEventOutcome.OtherDevicesJob)
        {
            LogForeignJob(logger, status.DeviceId, status.JobId);
        }
        else if (outcome == JobEventOutcome.Appended)
        {
            Changed?.Invoke(this, status.JobId);
        }
    }

    public Task OnConsentWithdrawnAsync(FiledSeries series, ConsentWithdrawal withdrawal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(withdrawal);
        return AppendAsync(series.JobId, new JobEvent(withdrawal.WithdrawnAt, JobStates.ConsentWithdrawn, $"recorded by {withdrawal.RecordedBy}", series.SeriesId), cancellationToken);
    }

    /// <summary>Adds a step the host itself records (lost in a wipe, recall arranged) to a job's timeline.</summary>
    public Task RecordAsync(string jobId, JobEvent jobEvent, CancellationToken cancellationToken) => AppendAsync(jobId, jobEvent, cancellationToken);

    public async Task<JobProgress?> FindAsync(string jobId, CancellationToken cancellationToken) =>
        await jobs.FindJobAsync(jobId, cancellationToken) is { } job ? await ProgressOfAsync(job, cancellationToken) : null;

    /// <summary>The jobs (of one device or all) whose timeline holds <paramref name="state"/>, with their timelines, oldest issued first.</summary>
    public async Task<IReadOnlyList<JobProgress>> ListWithEventAsync(string state, string? deviceId, CancellationToken cancellationToken)
    {
        var list = new List<JobProgress>();
        foreach (var job in await jobs.ListJobsWithEventAsync(state, deviceId, cancellationToken))
        {
            list.Add(await ProgressOfAsync(job, cancellationToken));
        }

        return list;
    }

    /// <summary>The jobs (of one device or all) whose timeline now stands at <paramref name="state"/>, oldest issued first.</summary>
    public async Task<IReadOnlyList<JobProgress>> ListStandingAtAsync(string state, string? deviceId, CancellationToken cancellationToken) =>
        [.. (await ListWithEventAsync(state, deviceId, cancellationToken)).Where(p => p.State == state)];

    /// <summary>Jobs issued since <paramref name="since"/> with their timelines, oldest first.</summary>
    public async Task<IReadOnlyList<JobProgress>> ListIssuedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var list = new List<JobProgress>();
        foreach (var job in await jobs.ListJobsIssuedSinceAsync(since, cancellationToken))
        {
            list.Add(await ProgressOfAsync(job, cancellationToken));
        }

        return list;
    }

    public async Task<IReadOnlyList<JobProgress>> ListRecentAsync(int max, CancellationToken cancellationToken)
    {
        var list = new List<JobProgress>();
        foreach (var job in await jobs.ListRecentJobsAsync(max, cancellationToken))
        {
            list.Add(await ProgressOfAsync(job, cancellationToken));
        }

        return list;
    }

    /// <summary>
    /// The timeline as kept, with "filed" taken from the archive itself: the archive is the
    /// truth of filing, and nothing more is written on the filing path, which every appliance's
    /// uploads go through one at a time.
    /// </summary>
    private async Task<JobProgress> ProgressOfAsync(CaptureJobRecord job, CancellationToken cancellationToken)
    {
        var events = (await jobs.ListJobEventsAsync(job.JobId, cancellationToken)).ToList();
        if (await archive.FindByJobAsync(job.JobId, cancellationToken) is { } filed)
        {
            events.Add(new JobEvent(filed.FiledAt, JobStates.Filed, null, filed.SeriesId));
        }

        return new JobProgress(job, [.. events.OrderBy(e => e.At)]);
    }

    private async Task AppendAsync(string jobId, JobEvent jobEvent, CancellationToken cancellationToken)
    {
        if (await jobs.AppendJobEventAsync(jobId, jobEvent, cancellationToken) == JobEventOutcome.Appended)
        {
            Changed?.Invoke(this, jobId);
        }
    }

    [LoggerMessage(EventId = 5215, Level = LogLevel.Warning, Message = "Status from {DeviceId} names job {JobId}, which is not a job of that appliance; ignored")]
    private static partial void LogForeignJob(ILogger logger, string deviceId, string jobId);
}
