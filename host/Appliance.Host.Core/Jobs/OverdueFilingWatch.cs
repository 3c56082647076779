using Appliance.Host.Core.Audit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Jobs;

/// <summary>
/// Raises a series the appliance accepted but the host has not filed within
/// <see cref="JobOptions.FilingOverdueAfter"/>: the patient has gone home believing the images are
/// taken, and a lesion not yet in the record is not reviewed. Each such job is marked
/// <c>filing-overdue</c> in its timeline (once), audited and logged, and shown on the clinic and
/// fleet pages until it is filed or lost. Every instance watches; the timeline keeps the mark once.
/// </summary>
public sealed partial class OverdueFilingWatch(
    JobTracker tracker,
    IAuditTrail audit,
    IOptions<JobOptions> options,
    TimeProvider time,
    ILogger<OverdueFilingWatch> logger) : BackgroundService
{
    /// <summary>One look at the jobs issued within the lookback; the jobs newly found overdue.</summary>
    public async Task<IReadOnlyList<JobProgress>> CheckAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        var found = new List<JobProgress>();
        foreach (var progress in await tracker.ListIssuedSinceAsync(now - o.OverdueLookback, cancellationToken))
        {
            if (progress.IsFiled
                || progress.Events.LastOrDefault(e => e.State == JobStates.Accepted) is not { } accepted
                || accepted.At + o.FilingOverdueAfter > now
                || progress.Events.Any(e => e.State is JobStates.FilingOverdue or JobStates.LostInWipe or JobStates.RecallArranged))
            {
                continue;
            }

            var acceptedAt = accepted.At;
            await tracker.RecordAsync(progress.Job.JobId, new JobEvent(now, JobStates.FilingOverdue,
                $"accepted at {acceptedAt.UtcDateTime:HH:mm} UTC and not filed since: the images are still on {progress.Job.DeviceId}; check it is on and connected", progress.SeriesId), cancellationToken);
            audit.Append(AuditKinds.FilingOverdue, "host", progress.Job.JobId, $"episode {progress.Job.EpisodeCode} on {progress.Job.DeviceId}: accepted {acceptedAt:O}, not filed after {o.FilingOverdueAfter}");
            LogOverdue(logger, progress.Job.JobId, progress.Job.EpisodeCode, progress.Job.DeviceId, o.FilingOverdueAfter);
            found.Add(progress);
        }

        return found;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException or System.Data.Common.DbException)
            {
                // The jobs' store away a moment: nothing is lost, the next look finds the same jobs.
                LogCheckFailed(logger, ex.Message);
            }

            try
            {
                await Task.Delay(options.Value.OverdueCheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 5222, Level = LogLevel.Warning, Message = "Job {JobId} (episode {EpisodeCode}): {DeviceId} accepted its series but it is not filed after {Limit}")]
    private static partial void LogOverdue(ILogger logger, string jobId, string episodeCode, string deviceId, TimeSpan limit);

    [LoggerMessage(EventId = 5223, Level = LogLevel.Warning, Message = "Could not look for overdue filings: {Reason}; tried again shortly")]
    private static partial void LogCheckFailed(ILogger logger, string reason);
}
