using System.Collections.Concurrent;
using System.Security.Cryptography;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;

namespace Appliance.TestKit;

/// <summary>Filed series in memory, holding to the host archive contract (frames checked against their digests when read).</summary>
public sealed class FakeSeriesArchive : ISeriesArchive
{
    private readonly ConcurrentDictionary<string, (FiledSeries Series, byte[][] Frames)> _series = new();

    public string Location => "memory";

    public async Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(frames);
        var kept = new byte[series.Frames.Count][];
        for (var i = 0; i < kept.Length; i++)
        {
            var handed = await frames(i, cancellationToken); // a failure here leaves nothing filed
            kept[i] = handed.ToArray();
            Array.Clear(handed);
        }

        var record = series with { Frames = [.. series.Frames.Select(f => f with { StoredAs = $"memory:{series.SeriesId}/{f.Index}" })] };
        var held = _series.GetOrAdd(series.SeriesId, (record, kept));
        return new ArchiveFiling(held.Series, FiledBefore: !ReferenceEquals(held.Series, record));
    }

    public Task<ArchiveFiling> FileRecordAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        var record = series with { Frames = [.. series.Frames.Select(f => f with { StoredAs = "pacs" })] };
        var held = _series.GetOrAdd(series.SeriesId, (record, []));
        return Task.FromResult(new ArchiveFiling(held.Series, FiledBefore: !ReferenceEquals(held.Series, record)));
    }

    public Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken) =>
        Task.FromResult(_series.TryGetValue(seriesId, out var held) ? held.Series : null);

    public Task<FiledSeries?> FindByJobAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(_series.Values.Select(s => s.Series).FirstOrDefault(s => s.JobId == jobId));

    public Task<IReadOnlyList<FiledSeries>> ListRecentAsync(int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FiledSeries>>([.. _series.Values.Select(s => s.Series).OrderByDescending(s => s.FiledAt).Take(max)]);

    public Task<IReadOnlyList<FiledSeries>> ListForPatientAsync(string patientId, string? lesionLabel, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FiledSeries>>([.. _series.Values.Select(s => s.Series)
            .Where(s => s.PatientId == patientId && (lesionLabel is null || s.LesionLabel == lesionLabel))
            .OrderByDescending(s => s.CapturedAt)]);

    public Task<bool> MarkConsentWithdrawnAsync(string seriesId, ConsentWithdrawal withdrawal, CancellationToken cancellationToken)
    {
        lock (_series)
        {
            if (!_series.TryGetValue(seriesId, out var held))
            {
                return Task.FromResult(false);
            }

            if (held.Series.ConsentWithdrawn is null)
            {
                _series[seriesId] = (held.Series with { ConsentWithdrawn = withdrawal }, held.Frames);
            }

            return Task.FromResult(true);
        }
    }

    public Task<bool> RecordOutlineAsync(string seriesId, Appliance.Host.Core.Imaging.LesionOutline? outline, CancellationToken cancellationToken) =>
        ChangeAsync(seriesId, found => found with { Outline = outline });

    public Task<bool> RecordOverviewReviewAsync(string seriesId, Appliance.Host.Core.Filing.OverviewReview review, CancellationToken cancellationToken) =>
        ChangeAsync(seriesId, found => found with { OverviewReview = review });

    private Task<bool> ChangeAsync(string seriesId, Func<FiledSeries, FiledSeries> change)
    {
        lock (_series)
        {
            if (!_series.TryGetValue(seriesId, out var held))
            {
                return Task.FromResult(false);
            }

            _series[seriesId] = (change(held.Series), held.Frames);
            return Task.FromResult(true);
        }
    }

    public Task<bool> ReleaseFramesAsync(string seriesId, CancellationToken cancellationToken)
    {
        lock (_series)
        {
            if (!_series.TryGetValue(seriesId, out var held))
            {
                return Task.FromResult(false);
            }

            _series[seriesId] = (held.Series, []);
            return Task.FromResult(true);
        }
    }

    public Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken)
    {
        if (!_series.TryGetValue(seriesId, out var held))
        {
            throw new KeyNotFoundException($"series {seriesId} is not filed");
        }

        if (held.Frames.Length == 0)
        {
            throw new FramesReleasedException($"the frames of series {seriesId} were released to the PACS");
        }

        var frame = held.Frames[index].ToArray();
        return SeriesSealing.Sha256Hex(frame) == held.Series.Frames[index].Sha256
            ? Task.FromResult(frame)
            : throw new CryptographicException($"series {seriesId} frame {index} does not match its digest");
    }

    public Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. _series.Keys]);
}

/// <summary>Capture jobs and their timelines in memory, holding to the host archive contract.</summary>
public sealed class FakeCaptureJobs : ICaptureJobRepository
{
    private readonly Dictionary<string, (CaptureJobRecord Job, List<JobEvent> Events)> _jobs = [];

    public Task AddAsync(CaptureJobRecord job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_jobs)
        {
            if (_jobs.Values.Any(j => j.Job.EpisodeCode == job.EpisodeCode))
            {
                throw new InvalidOperationException($"episode {job.EpisodeCode} already has a job");
            }

            _jobs.Add(job.JobId, (job, []));
        }

        return Task.CompletedTask;
    }

    public Task<CaptureJobRecord?> FindByEpisodeAsync(string episodeCode, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult(_jobs.Values.Select(j => j.Job).FirstOrDefault(j => j.EpisodeCode == episodeCode));
        }
    }

    public Task<CaptureJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult(_jobs.TryGetValue(jobId, out var held) ? held.Job : null);
        }
    }

    public Task<IReadOnlyList<CaptureJobRecord>> ListRecentJobsAsync(int max, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult<IReadOnlyList<CaptureJobRecord>>([.. _jobs.Values.Select(j => j.Job).OrderByDescending(j => j.IssuedAt).Take(max)]);
        }
    }

    public Task<IReadOnlyList<CaptureJobRecord>> ListJobsIssuedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult<IReadOnlyList<CaptureJobRecord>>([.. _jobs.Values.Select(j => j.Job).Where(j => j.IssuedAt >= since).OrderBy(j => j.IssuedAt)]);
        }
    }

    public Task<IReadOnlyList<CaptureJobRecord>> ListJobsWithEventAsync(string state, string? deviceId, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult<IReadOnlyList<CaptureJobRecord>>([.. _jobs.Values
                .Where(j => (deviceId is null || j.Job.DeviceId == deviceId) && j.Events.Any(e => e.State == state))
                .Select(j => j.Job).OrderBy(j => j.IssuedAt)]);
        }
    }

    public Task<JobEventOutcome> AppendJobEventAsync(string jobId, JobEvent jobEvent, CancellationToken cancellationToken, string? deviceId = null)
    {
        ArgumentNullException.ThrowIfNull(jobEvent);
        lock (_jobs)
        {
            if (!_jobs.TryGetValue(jobId, out var held))
            {
                return Task.FromResult(JobEventOutcome.NoSuchJob);
            }

            if (deviceId is not null && held.Job.DeviceId != deviceId)
            {
                return Task.FromResult(JobEventOutcome.OtherDevicesJob);
            }

            if (jobEvent.ReportedAt is not null && held.Events.Any(e => e.State == jobEvent.State && e.ReportedAt == jobEvent.ReportedAt))
            {
                return Task.FromResult(JobEventOutcome.Duplicate);
            }

            held.Events.Add(jobEvent);
            return Task.FromResult(JobEventOutcome.Appended);
        }
    }

    public Task<IReadOnlyList<JobEvent>> ListJobEventsAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult<IReadOnlyList<JobEvent>>(_jobs.TryGetValue(jobId, out var held) ? [.. held.Events] : []);
        }
    }
}

/// <summary>Calibration profiles in memory, holding to the host archive contract.</summary>
public sealed class FakeCalibrationProfiles : ICalibrationProfiles
{
    private readonly ConcurrentDictionary<string, CalibrationProfile> _profiles = new();

    public Task<ProfileAdded> AddProfileAsync(CalibrationProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (_profiles.TryAdd(profile.ProfileId, profile))
        {
            return Task.FromResult(ProfileAdded.Added);
        }

        return Task.FromResult(_profiles[profile.ProfileId].DeviceId == profile.DeviceId ? ProfileAdded.AlreadyKept : ProfileAdded.IdTakenByAnotherDevice);
    }

    public Task<CalibrationProfile?> FindProfileAsync(string deviceId, string profileId, CancellationToken cancellationToken) =>
        Task.FromResult(_profiles.TryGetValue(profileId, out var profile) && profile.DeviceId == deviceId ? profile : null);

    public Task<IReadOnlyList<CalibrationProfile>> ListProfilesAsync(string deviceId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CalibrationProfile>>([.. _profiles.Values.Where(p => p.DeviceId == deviceId).OrderByDescending(p => p.CreatedAt)]);
}
