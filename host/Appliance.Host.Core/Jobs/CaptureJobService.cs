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
}

/// <summary>
/// Creates capture jobs. The patient identifier stays here; the appliance gets a random
/// episode code that means nothing outside the host (pseudonymisation, guidance Figure 2).
/// </summary>
public sealed partial class CaptureJobService(
    ICaptureJobRepository jobs,
    IDeviceMessagePublisher publisher,
    IAuditTrail audit,
    TimeProvider time,
    IOptions<JobOptions> options,
    ILogger<CaptureJobService> logger)
{
    public async Task<CaptureJobRecord> CreateAsync(string deviceId, string patientId, string bodySite, ConsentScope consent, CancellationToken cancellationToken, string? lesionLabel = null)
    {
        DeviceId.EnsureValid(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(bodySite);
        // Checked here too, so staff hear why at once rather than from a refusing appliance.
        if (BodySites.Check(bodySite.Trim()) is { } problem)
        {
            throw new ArgumentException(problem, nameof(bodySite));
        }

        var now = time.GetUtcNow();
        var job = new CaptureJobRecord(
            Guid.NewGuid().ToString("N"),
            deviceId,
            EpisodeCodes.New(),
            patientId.Trim(),
            bodySite.Trim(),
            consent,
            now,
            now + options.Value.Lifetime,
            string.IsNullOrWhiteSpace(lesionLabel) ? null : lesionLabel.Trim());
        await jobs.AddAsync(job, cancellationToken);
        var command = new HostCommand(HostCommand.CaptureJobKind, job.ToWire());
        await publisher.PublishAsync(ApplianceTopics.Command(deviceId), ProtocolJson.Serialize(command), cancellationToken);
        LogJobSent(logger, job.JobId, deviceId, job.EpisodeCode);
        // The patient stays out of the trail; the episode code leads to it through the archive.
        audit.Append(AuditKinds.JobCreated, "host", job.JobId, $"device {deviceId}, episode {job.EpisodeCode}, {job.ConsentScope}");
        return job;
    }

    [LoggerMessage(EventId = 5211, Level = LogLevel.Information, Message = "Capture job {JobId} sent to {DeviceId} as episode {EpisodeCode}")]
    private static partial void LogJobSent(ILogger logger, string jobId, string deviceId, string episodeCode);
}
