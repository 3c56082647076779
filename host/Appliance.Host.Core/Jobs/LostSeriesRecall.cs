using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Orders;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Jobs;

/// <summary>
/// After a wipe, the patients to recall: every job of that appliance whose series the appliance
/// accepted (so staff sent the patient away) but the host never filed was destroyed with it. Each
/// is marked lost in the job's timeline and audited, and stays on the clinic and fleet pages until
/// staff record that the patient's recall is arranged. The appliance's signed report gives how many
/// unsent series it destroyed; the host's own job records name them.
/// </summary>
public sealed partial class LostSeriesRecall(
    JobTracker tracker,
    IAuditTrail audit,
    TimeProvider time,
    ILogger<LostSeriesRecall> logger) : IWipeFollowUp
{
    public async Task OnWipeConfirmedAsync(WipeReport report, bool repeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var named = 0;
        foreach (var progress in await tracker.ListWithEventAsync(JobStates.Accepted, report.DeviceId, cancellationToken))
        {
            if (progress.IsFiled || progress.Events.Any(e => e.State == JobStates.LostInWipe))
            {
                continue;
            }

            var job = progress.Job;

            var how = $"{report.Trigger.ToString().ToLowerInvariant()} wipe of {report.DeviceId} at {report.WipedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC";
            await tracker.RecordAsync(job.JobId, new JobEvent(time.GetUtcNow(), JobStates.LostInWipe, $"the accepted series was destroyed unfiled by the {how}: recall the patient", progress.SeriesId), cancellationToken);
            audit.Append(AuditKinds.SeriesLostInWipe, report.DeviceId, job.JobId, $"episode {job.EpisodeCode}, series {progress.SeriesId ?? "-"}: destroyed unfiled by the {how}; the patient is to be recalled");
            LogLost(logger, job.JobId, job.EpisodeCode, report.DeviceId);
            named++;
        }

        if (!repeat && report.UnsentSeriesLost > named)
        {
            // Series the appliance accepted while the host never heard of it (its status lost offline):
            // counted in the signed report, named nowhere here.
            LogUnnamed(logger, report.DeviceId, report.UnsentSeriesLost, named);
        }
    }

    /// <summary>Jobs whose series was lost in a wipe and whose patient's recall is not yet arranged, oldest first.</summary>
    public Task<IReadOnlyList<JobProgress>> ListToRecallAsync(string? deviceId, CancellationToken cancellationToken) =>
        tracker.ListStandingAtAsync(JobStates.LostInWipe, deviceId, cancellationToken);

    /// <summary>Records that the patient of a lost series is being recalled; false if the job is not waiting for that.</summary>
    public async Task<bool> ArrangeRecallAsync(string jobId, string arrangedBy, CancellationToken cancellationToken)
    {
        if (await tracker.FindAsync(jobId, cancellationToken) is not { State: JobStates.LostInWipe } progress)
        {
            return false;
        }

        await tracker.RecordAsync(jobId, new JobEvent(time.GetUtcNow(), JobStates.RecallArranged, $"by {arrangedBy}", progress.SeriesId), cancellationToken);
        audit.Append(AuditKinds.RecallArranged, arrangedBy, jobId, $"episode {progress.Job.EpisodeCode}");
        return true;
    }

    [LoggerMessage(EventId = 5220, Level = LogLevel.Warning, Message = "Job {JobId} (episode {EpisodeCode}): its accepted series was destroyed unfiled when {DeviceId} was wiped; the patient is to be recalled")]
    private static partial void LogLost(ILogger logger, string jobId, string episodeCode, string deviceId);

    [LoggerMessage(EventId = 5221, Level = LogLevel.Warning, Message = "{DeviceId} reports {Reported} unsent series destroyed by its wipe; the host's records name {Named}")]
    private static partial void LogUnnamed(ILogger logger, string deviceId, int reported, int named);
}
