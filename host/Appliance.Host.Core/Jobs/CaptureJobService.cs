using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Appliance.Host.Core.Audit;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Jobs;

/// <summary>Section <c>Jobs</c>.</summary>
public sealed class JobOptions
{
    public const string Section = "Jobs";

    /// <summary>How long an appliance stays armed for a job before it must be re-sent.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long after the appliance accepted a series it may go unfiled before the host raises it
    /// on the clinic and fleet pages (an appliance switched off or cut off with the images on it).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan FilingOverdueAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often jobs are looked at for an overdue filing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan OverdueCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How far back, by the job's issue, filings are watched: beyond the appliances' dead-man lease (14 days), after which an unfiled series is gone anyway.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan OverdueLookback { get; set; } = TimeSpan.FromDays(15);
}

/// <summary>A job the body-site policy or the consent record does not allow; the message says why, for staff.</summary>
public sealed class CaptureJobRefusedException(string message) : Exception(message);

/// <summary>
/// Creates capture jobs. The patient identifier stays here; the appliance gets a random
/// episode code that means nothing outside the host (pseudonymisation, guidance Figure 2).
/// No job without a consent record, and none the body-site policy refuses.
/// </summary>
public sealed partial class CaptureJobService(
    ICaptureJobRepository jobs,
    IDeviceMessagePublisher publisher,
    Orders.HostCommandSigner signer,
    JobTracker tracker,
    IAuditTrail audit,
    TimeProvider time,
    IOptions<JobOptions> options,
    ILogger<CaptureJobService> logger)
{
    /// <summary>
    /// Longer than any record system's identifier (an NHS number is 10 digits, hospital numbers
    /// are shorter still): a longer one is a mistake or an attack, not a patient.
    /// </summary>
    public const int MaxPatientIdLength = 64;

    /// <param name="actor">The signed-in member of staff, recorded as the one who took the consent.</param>
    public async Task<CaptureJobRecord> CreateAsync(CaptureJobRequest request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        DeviceId.EnsureValid(request.DeviceId);
        if (string.IsNullOrWhiteSpace(request.PatientId))
        {
            throw new CaptureJobRefusedException("enter the patient identifier");
        }

        if (request.PatientId.Trim().Length > MaxPatientIdLength || request.PatientId.Any(char.IsControl))
        {
            throw new CaptureJobRefusedException($"a patient identifier is at most {MaxPatientIdLength} printable characters");
        }

        ArgumentNullException.ThrowIfNull(request.Consent);
        if (!Enum.IsDefined(request.Consent.GivenBy) || !Enum.IsDefined(request.Consent.Form) || !Enum.IsDefined(request.Consent.Scope))
        {
            // Only a caller that skipped the form can get here; never record a consent nobody chose.
            throw new CaptureJobRefusedException("the consent record names a giver, form or scope that does not exist");
        }

        if (request.Mark?.Problem() is { } markProblem)
        {
            throw new CaptureJobRefusedException(markProblem);
        }

        var now = time.GetUtcNow();
        var bodySite = request.BodySite?.Trim() ?? string.Empty;
        // Checked here, so staff hear why at once rather than from a refusing appliance.
        var decision = BodySitePolicy.Decide(bodySite, request.DateOfBirth, request.IntimateSiteConfirmed, DateOnly.FromDateTime(now.UtcDateTime));
        if (!decision.Allowed)
        {
            if (decision.Intimate)
            {
                audit.Append(AuditKinds.JobRefused, actor, request.DeviceId, $"intimate site: {decision.Refusal}");
            }

            throw new CaptureJobRefusedException(decision.Refusal!);
        }

        var consent = request.Consent with { RecordedBy = actor, RecordedAt = now };
        var job = new CaptureJobRecord(
            Guid.NewGuid().ToString("N"),
            request.DeviceId,
            EpisodeCodes.New(),
            request.PatientId.Trim(),
            bodySite,
            consent.Scope,
            now,
            now + options.Value.Lifetime,
            string.IsNullOrWhiteSpace(request.LesionLabel) ? null : request.LesionLabel.Trim(),
            consent,
            request.DateOfBirth,
            decision.Intimate,
            request.Mark,
            request.Overview);
        await jobs.AddAsync(job, cancellationToken);
        var command = signer.Sign(new HostCommand(HostCommand.CaptureJobKind, job.ToWire()), job.DeviceId, job.ExpiresAt);
        await publisher.PublishAsync(ApplianceTopics.Command(job.DeviceId), ProtocolJson.Serialize(command), cancellationToken);
        await tracker.RecordSentAsync(job, cancellationToken);
        LogJobSent(logger, job.JobId, job.DeviceId, job.EpisodeCode);
        // The patient stays out of the trail; the episode code leads to it through the archive.
        audit.Append(AuditKinds.JobCreated, actor, job.JobId,
            $"device {job.DeviceId}, episode {job.EpisodeCode}, {consent.Describe()}{(job.IntimateSite ? ", intimate site confirmed" : string.Empty)}");
        return job;
    }

    /// <summary>How long an identify command may take to reach the appliance: staff are standing at it, waiting.</summary>
    private static readonly TimeSpan IdentifyLifetime = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Asks the appliance the job was sent to to show itself if it is armed for this job (positive
    /// identification: staff match the job on the page with the unit that lights up). False if
    /// the job is not waiting for a capture.
    /// </summary>
    public async Task<bool> IdentifyAsync(string jobId, string actor, CancellationToken cancellationToken)
    {
        if (await tracker.FindAsync(jobId, cancellationToken) is not { State: JobStates.Armed or JobStates.Retake or JobStates.Sent } progress)
        {
            return false;
        }

        var job = progress.Job;
        var command = signer.Sign(new HostCommand(HostCommand.IdentifyKind, Identify: new IdentifyRequest(job.JobId)), job.DeviceId, time.GetUtcNow() + IdentifyLifetime);
        await publisher.PublishAsync(ApplianceTopics.Command(job.DeviceId), ProtocolJson.Serialize(command), cancellationToken);
        LogIdentifySent(logger, job.JobId, job.DeviceId, actor);
        return true;
    }

    [LoggerMessage(EventId = 5212, Level = LogLevel.Information, Message = "{Actor} asked {DeviceId} to show itself for job {JobId}")]
    private static partial void LogIdentifySent(ILogger logger, string jobId, string deviceId, string actor);

    [LoggerMessage(EventId = 5211, Level = LogLevel.Information, Message = "Capture job {JobId} sent to {DeviceId} as episode {EpisodeCode}")]
    private static partial void LogJobSent(ILogger logger, string jobId, string deviceId, string episodeCode);
}
