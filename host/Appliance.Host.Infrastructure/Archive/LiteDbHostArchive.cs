using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using LiteDB;
using JsonSerializer = System.Text.Json.JsonSerializer;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// The host archive: records in an encrypted LiteDB (<c>archive/archive.db</c>), frames as files
/// encrypted under per-series keys (<see cref="ArchiveFrameFiles"/>, <c>archive/frames/yyyy/MM/{series}/{index}.frame</c>).
/// Frames are written and flushed first and the record last, so a crash never leaves a record
/// pointing at missing frames. Indexed by patient identifier, episode, device and filing date.
/// Every series and job record is sealed with our own AEAD under the archive key with its id
/// bound in (<see cref="ArchiveKeys.SealRecord"/>), and the fields a query finds it by must say
/// what the sealed record says: an edit, a swap or a block moved on disk is detected when read.
/// </summary>
public sealed class LiteDbHostArchive : ISeriesArchive, ICaptureJobRepository, ICalibrationProfiles, IDisposable
{
    private const string SeriesKind = "series";
    private const string JobKind = "job";
    private const string FormatMark = "sealed-records";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ArchiveKeys _keys;
    private readonly string _root;
    private readonly ArchiveFrameFiles _frames;
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<BsonDocument> _series;
    private readonly ILiteCollection<BsonDocument> _jobs;
    private readonly ILiteCollection<BsonDocument> _profiles;

    public LiteDbHostArchive(ArchiveKeys keys, IOptions<HostDataOptions> options)
    {
        _keys = keys;
        _root = options.Value.Resolve("archive");
        Directory.CreateDirectory(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _frames = new ArchiveFrameFiles(_root);
        _db = new LiteDatabase(new ConnectionString
        {
            Filename = Path.Combine(_root, "archive.db"),
            Password = keys.DatabasePassword,
            Connection = ConnectionType.Shared,
        });
        _series = _db.GetCollection("series");
        _series.EnsureIndex("patientId");
        _series.EnsureIndex("episodeCode");
        _series.EnsureIndex("deviceId");
        _series.EnsureIndex("filedAt");
        _series.EnsureIndex("capturedAt");
        _series.EnsureIndex("bodySite");
        _series.EnsureIndex("lesionLabel");
        _series.EnsureIndex("jobId");
        _jobs = _db.GetCollection("jobs");
        _jobs.EnsureIndex("episodeCode", unique: true);
        _jobs.EnsureIndex("issuedAt");
        _profiles = _db.GetCollection("calibrationProfiles");
        _profiles.EnsureIndex("deviceId");
        SealPlainRecords();
    }

    public string Location => _root;

    public Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _series.FindById(seriesId);
        return Task.FromResult(doc is null ? null : ToSeries(doc));
    }

    public async Task<FiledSeries> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var (key, wrapped) = _keys.NewSeriesKey(series.SeriesId);
        using (key)
        {
            var stored = await _frames.WriteAsync(series, key, frames, cancellationToken);
            var record = series with { Frames = stored };
            var doc = new BsonDocument
            {
                ["_id"] = series.SeriesId,
                ["patientId"] = series.PatientId,
                ["episodeCode"] = series.EpisodeCode,
                ["jobId"] = series.JobId,
                ["deviceId"] = series.DeviceId,
                ["filedAt"] = series.FiledAt.UtcDateTime,
                ["capturedAt"] = series.CapturedAt.UtcDateTime,
                ["bodySite"] = series.BodySite,
                ["lesionLabel"] = series.LesionLabel is null ? BsonValue.Null : new BsonValue(series.LesionLabel),
                ["consentScope"] = series.ConsentScope.ToString(),
                ["wrappedKey"] = wrapped,
                ["sealedRecord"] = _keys.SealRecord(SeriesKind, series.SeriesId, JsonSerializer.SerializeToUtf8Bytes(record, Json)),
            };
            _series.Upsert(doc);
            return record;
        }
    }

    public Task<IReadOnlyList<FiledSeries>> ListRecentAsync(int max, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<FiledSeries> list = [.. _series.Query().OrderByDescending("filedAt").Limit(max).ToEnumerable().Select(ToSeries)];
        return Task.FromResult(list);
    }

    public Task<FiledSeries?> FindByJobAsync(string jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _series.FindOne(Query.EQ("jobId", jobId));
        return Task.FromResult(doc is null ? null : ToSeries(doc));
    }

    public Task<IReadOnlyList<FiledSeries>> ListForPatientAsync(string patientId, string? lesionLabel, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var query = lesionLabel is null
            ? Query.EQ("patientId", patientId)
            : Query.And(Query.EQ("patientId", patientId), Query.EQ("lesionLabel", lesionLabel));
        IReadOnlyList<FiledSeries> list = [.. _series.Query().Where(query).OrderByDescending("capturedAt").ToEnumerable().Select(ToSeries)];
        return Task.FromResult(list);
    }

    public async Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken)
    {
        var doc = _series.FindById(seriesId) ?? throw new KeyNotFoundException($"series {seriesId} is not filed");
        var series = ToSeries(doc);
        var frame = series.Frames.Single(f => f.Index == index);
        using var key = _keys.UnwrapSeriesKey(seriesId, doc["wrappedKey"].AsBinary);
        return await _frames.ReadAsync(seriesId, frame, key, cancellationToken);
    }

    public Task AddAsync(CaptureJobRecord job, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _jobs.Insert(new BsonDocument
        {
            ["_id"] = job.JobId,
            ["episodeCode"] = job.EpisodeCode,
            ["issuedAt"] = job.IssuedAt.UtcDateTime,
            ["sealedRecord"] = _keys.SealRecord(JobKind, job.JobId, JsonSerializer.SerializeToUtf8Bytes(job, Json)),
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

    public Task<JobEventOutcome> AppendJobEventAsync(string jobId, JobEvent jobEvent, CancellationToken cancellationToken, string? deviceId = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Read, add and write under the archive's lock: statuses and filing run on different threads.
        lock (_jobs)
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

    public Task<bool> MarkConsentWithdrawnAsync(string seriesId, ConsentWithdrawal withdrawal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_series)
        {
            var doc = _series.FindById(seriesId);
            if (doc is null)
            {
                return Task.FromResult(false);
            }

            var series = ToSeries(doc);
            if (series.ConsentWithdrawn is null)
            {
                doc["sealedRecord"] = _keys.SealRecord(SeriesKind, seriesId, JsonSerializer.SerializeToUtf8Bytes(series with { ConsentWithdrawn = withdrawal }, Json));
                doc["consentWithdrawnAt"] = withdrawal.WithdrawnAt.UtcDateTime;
                _series.Update(doc);
            }

            return Task.FromResult(true);
        }
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
        var job = JsonSerializer.Deserialize<CaptureJobRecord>(OpenSealed(JobKind, doc), Json)
            ?? throw new InvalidDataException($"job record {id} is empty");
        if (job.JobId != id || doc["episodeCode"].AsString != job.EpisodeCode)
        {
            throw new CryptographicException($"job record {id}: the fields it is found by were altered");
        }

        return job;
    }

    public Task<ProfileAdded> AddProfileAsync(CalibrationProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        cancellationToken.ThrowIfCancellationRequested();
        if (_profiles.FindById(profile.ProfileId) is { } kept)
        {
            return Task.FromResult(kept["deviceId"].AsString == profile.DeviceId ? ProfileAdded.AlreadyKept : ProfileAdded.IdTakenByAnotherDevice);
        }

        // Kept as the appliance signed it, so its signature can be checked again at any time.
        _profiles.Insert(new BsonDocument
        {
            ["_id"] = profile.ProfileId,
            ["deviceId"] = profile.DeviceId,
            ["createdAt"] = profile.CreatedAt.UtcDateTime,
            ["profile"] = System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(profile)),
        });
        return Task.FromResult(ProfileAdded.Added);
    }

    public Task<CalibrationProfile?> FindProfileAsync(string deviceId, string profileId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _profiles.FindById(profileId);
        // The stored profile is checked, not just the index field: it is what the appliance signed.
        return Task.FromResult(doc is not null && ToProfile(doc) is { } profile && profile.DeviceId == deviceId ? profile : null);
    }

    public Task<IReadOnlyList<CalibrationProfile>> ListProfilesAsync(string deviceId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<CalibrationProfile> profiles = [.. _profiles.Find(Query.EQ("deviceId", deviceId)).Select(ToProfile).OrderByDescending(p => p.CreatedAt)];
        return Task.FromResult(profiles);
    }

    private static CalibrationProfile ToProfile(BsonDocument doc) =>
        ProtocolJson.TryDeserialize<CalibrationProfile>(System.Text.Encoding.UTF8.GetBytes(doc["profile"].AsString), out var profile, out var error)
            ? profile
            : throw new InvalidDataException($"calibration profile {doc["_id"]} is unreadable: {error}");

    public void Dispose() => _db.Dispose();

    private FiledSeries ToSeries(BsonDocument doc)
    {
        var id = doc["_id"].AsString;
        var series = JsonSerializer.Deserialize<FiledSeries>(OpenSealed(SeriesKind, doc), Json)
            ?? throw new InvalidDataException($"series record {id} is empty");
        // What queries find a series by (the patient above all) must be what its sealed record says.
        if (series.SeriesId != id
            || doc["patientId"].AsString != series.PatientId
            || doc["episodeCode"].AsString != series.EpisodeCode
            || doc["jobId"].AsString != series.JobId
            || doc["deviceId"].AsString != series.DeviceId
            || doc["bodySite"].AsString != series.BodySite
            || doc["consentScope"].AsString != series.ConsentScope.ToString()
            || (doc["lesionLabel"].IsNull ? null : doc["lesionLabel"].AsString) != series.LesionLabel)
        {
            throw new CryptographicException($"series record {id}: the fields it is found by were altered (they no longer match its sealed record)");
        }

        return series;
    }

    private byte[] OpenSealed(string kind, BsonDocument doc)
    {
        var id = doc["_id"].AsString;
        return doc["sealedRecord"].IsBinary
            ? _keys.OpenRecord(kind, id, doc["sealedRecord"].AsBinary)
            : throw new CryptographicException($"the {kind} record {id} is not sealed: it was altered");
    }

    /// <summary>
    /// An archive written before records were sealed is sealed once, at the first start of this
    /// version, and marked so (the mark itself sealed); after that a plain record is an alteration.
    /// </summary>
    private void SealPlainRecords()
    {
        var meta = _db.GetCollection("meta");
        if (meta.FindById(FormatMark) is { } mark)
        {
            _keys.OpenRecord(FormatMark, FormatMark, mark["sealed"].AsBinary); // throws if the mark was forged or moved
            return;
        }

        foreach (var (collection, kind) in new[] { (_series, SeriesKind), (_jobs, JobKind) })
        {
            foreach (var doc in collection.FindAll().Where(d => d["record"].IsString && !d["sealedRecord"].IsBinary).ToList())
            {
                doc["sealedRecord"] = _keys.SealRecord(kind, doc["_id"].AsString, Encoding.UTF8.GetBytes(doc["record"].AsString));
                doc.Remove("record");
                collection.Update(doc);
            }
        }

        meta.Upsert(new BsonDocument { ["_id"] = FormatMark, ["sealed"] = _keys.SealRecord(FormatMark, FormatMark, "v1"u8) });
    }

    public Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<string> ids = [.. _series.FindAll().Select(d => d["_id"].AsString)];
        return Task.FromResult(ids);
    }
}
