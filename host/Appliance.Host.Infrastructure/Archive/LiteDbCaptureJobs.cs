using System.Security.Cryptography;
using System.Text.Json;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using LiteDB;
using JsonSerializer = System.Text.Json.JsonSerializer;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// Capture jobs and their timelines in the <see cref="ArchiveDatabase"/>: one record per job,
/// sealed with its id bound in and found by its episode code (unique), with the events the
/// appliance and the host reported appended under a lock.
/// </summary>
public sealed class LiteDbCaptureJobs : ICaptureJobRepository
{
    public const string CollectionName = "jobs";
    private const string JobKind = ArchiveDatabase.JobKind;
    private static readonly JsonSerializerOptions Json = ArchiveDatabase.Json;
    private readonly ArchiveDatabase _database;
    private readonly ILiteCollection<BsonDocument> _jobs;

    public LiteDbCaptureJobs(ArchiveDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _jobs = database.Collection(CollectionName);
        _jobs.EnsureIndex("episodeCode", unique: true);
        _jobs.EnsureIndex("issuedAt");
    }

    public Task AddAsync(CaptureJobRecord job, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _jobs.Insert(new BsonDocument
        {
            ["_id"] = job.JobId,
            ["episodeCode"] = job.EpisodeCode,
            ["issuedAt"] = job.IssuedAt.UtcDateTime,
            ["sealedRecord"] = _database.SealRecord(JobKind, job.JobId, job),
            ["events"] = new BsonArray(),
        });
        return Task.CompletedTask;
    }

    public Task<CaptureJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _jobs.FindById(jobId);
        return Task.FromResult(doc is null ? null : ToJob(doc));
    }

    public Task<IReadOnlyList<CaptureJobRecord>> ListRecentJobsAsync(int max, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<CaptureJobRecord> list = [.. _jobs.Query().OrderByDescending("issuedAt").Limit(max).ToEnumerable().Select(ToJob)];
        return Task.FromResult(list);
    }

    public Task<IReadOnlyList<CaptureJobRecord>> ListJobsIssuedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<CaptureJobRecord> list = [.. _jobs.Query().Where(Query.GTE("issuedAt", since.UtcDateTime)).OrderBy("issuedAt").ToEnumerable().Select(ToJob)];
        return Task.FromResult(list);
    }

    /// <summary>
    /// The device is inside each sealed record, so this opens every job holding an event in the
    /// state; asked only after a wipe or for the clinic's recall list, and a clinic's archive is small.
    /// </summary>
    public Task<IReadOnlyList<CaptureJobRecord>> ListJobsWithEventAsync(string state, string? deviceId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<CaptureJobRecord> list = [.. _jobs.Query().OrderBy("issuedAt").ToEnumerable()
            .Where(doc => doc["events"].IsArray && doc["events"].AsArray.Any(e => JsonSerializer.Deserialize<JobEvent>(e.AsString, Json)!.State == state))
            .Select(ToJob)
            .Where(job => deviceId is null || job.DeviceId == deviceId)];
        return Task.FromResult(list);
    }

    public Task<JobEventOutcome> AppendJobEventAsync(string jobId, JobEvent jobEvent, CancellationToken cancellationToken, string? deviceId = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Read, add and write under the archive's lock: statuses reach every instance's threads at once.
        using (_database.LockForChange())
        {
            var doc = _jobs.FindById(jobId);
            if (doc is null)
            {
                return Task.FromResult(JobEventOutcome.NoSuchJob);
            }

            if (deviceId is not null && ToJob(doc).DeviceId != deviceId)
            {
                return Task.FromResult(JobEventOutcome.OtherDevicesJob);
            }

            var events = doc["events"].IsArray ? doc["events"].AsArray : [];
            if (jobEvent.ReportedAt is not null
                && events.Select(e => JsonSerializer.Deserialize<JobEvent>(e.AsString, Json)!).Any(e => e.State == jobEvent.State && e.ReportedAt == jobEvent.ReportedAt))
            {
                return Task.FromResult(JobEventOutcome.Duplicate);
            }

            events.Add(JsonSerializer.Serialize(jobEvent, Json));
            doc["events"] = events;
            _jobs.Update(doc);
            return Task.FromResult(JobEventOutcome.Appended);
        }
    }

    public Task<IReadOnlyList<JobEvent>> ListJobEventsAsync(string jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _jobs.FindById(jobId);
        IReadOnlyList<JobEvent> events = doc is null || !doc["events"].IsArray
            ? []
            : [.. doc["events"].AsArray.Select(e => JsonSerializer.Deserialize<JobEvent>(e.AsString, Json)!)];
        return Task.FromResult(events);
    }

    public Task<CaptureJobRecord?> FindByEpisodeAsync(string episodeCode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _jobs.FindOne(Query.EQ("episodeCode", episodeCode));
        return Task.FromResult(doc is null ? null : ToJob(doc));
    }

    private CaptureJobRecord ToJob(BsonDocument doc)
    {
        var id = doc["_id"].AsString;
        var job = _database.OpenRecord<CaptureJobRecord>(JobKind, doc);
        if (job.JobId != id || doc["episodeCode"].AsString != job.EpisodeCode)
        {
            throw new CryptographicException($"job record {id}: the fields it is found by were altered");
        }

        return job;
    }
}
