using Appliance.Host.Core.Imaging;
using System.Security.Cryptography;
using Appliance.Host.Core;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Jobs;
using LiteDB;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// The filed series: records in the <see cref="ArchiveDatabase"/>, frames as files encrypted under
/// per-series keys (<see cref="ArchiveFrameFiles"/>, <c>archive/frames/yyyy/MM/{series}.{filing}/{index}.frame</c>).
/// Frames are written and flushed first and the record last, so a crash never leaves a record
/// pointing at missing frames; each filing writes a folder of its own, so two instances filing
/// one series at once never mix their frames, and the first record in stands. Indexed by patient
/// identifier, episode, device, body site, lesion and dates; the fields a query finds a series
/// by must say what its sealed record says.
/// </summary>
public sealed class LiteDbSeriesArchive : ISeriesArchive
{
    public const string CollectionName = "series";
    private const string SeriesKind = ArchiveDatabase.SeriesKind;
    private readonly ArchiveDatabase _database;
    private readonly ArchiveKeys _keys;
    private readonly string _root;
    private readonly ArchiveFrameFiles _frames;
    private readonly ILiteCollection<BsonDocument> _series;

    public LiteDbSeriesArchive(ArchiveDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _keys = database.Keys;
        _root = database.Root;
        _frames = new ArchiveFrameFiles(_root);
        _series = database.Collection(CollectionName);
        _series.EnsureIndex("patientId");
        _series.EnsureIndex("episodeCode");
        _series.EnsureIndex("deviceId");
        _series.EnsureIndex("filedAt");
        _series.EnsureIndex("capturedAt");
        _series.EnsureIndex("bodySite");
        _series.EnsureIndex("lesionLabel");
        _series.EnsureIndex("jobId");
    }

    public string Location => _root;

    public Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _series.FindById(seriesId);
        return Task.FromResult(doc is null ? null : ToSeries(doc));
    }

    public async Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(frames);
        var (key, wrapped) = _keys.NewSeriesKey(series.SeriesId);
        using (key)
        {
            var stored = await _frames.WriteAsync(series, key, frames, cancellationToken);
            var filing = Insert(series with { Frames = stored }, wrapped, framesReleased: false);
            if (filing.FiledBefore)
            {
                _frames.Delete(stored);
            }

            return filing;
        }
    }

    public Task<ArchiveFiling> FileRecordAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        cancellationToken.ThrowIfCancellationRequested();
        // No frame is ever sealed under it; a key still wraps beside the record so every record reads alike.
        var (key, wrapped) = _keys.NewSeriesKey(series.SeriesId);
        key.Dispose();
        return Task.FromResult(Insert(series with { Frames = [.. series.Frames.Select(f => f with { StoredAs = "pacs" })] }, wrapped, framesReleased: true));
    }

    /// <summary>Inserts the record; if another filing of the series (perhaps another instance's) got there first, that one stands and is returned.</summary>
    private ArchiveFiling Insert(FiledSeries record, byte[] wrappedKey, bool framesReleased)
    {
        var doc = new BsonDocument
        {
            ["_id"] = record.SeriesId,
            ["patientId"] = record.PatientId,
            ["episodeCode"] = record.EpisodeCode,
            ["jobId"] = record.JobId,
            ["deviceId"] = record.DeviceId,
            ["filedAt"] = record.FiledAt.UtcDateTime,
            ["capturedAt"] = record.CapturedAt.UtcDateTime,
            ["bodySite"] = record.BodySite,
            ["lesionLabel"] = record.LesionLabel is null ? BsonValue.Null : new BsonValue(record.LesionLabel),
            ["consentScope"] = record.ConsentScope.ToString(),
            ["wrappedKey"] = wrappedKey,
            ["sealedRecord"] = _database.SealRecord(SeriesKind, record.SeriesId, record),
        };
        if (framesReleased)
        {
            doc["framesReleased"] = true;
        }

        try
        {
            _series.Insert(doc);
        }
        catch (LiteException duplicate) when (duplicate.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            return new ArchiveFiling(ToSeries(_series.FindById(record.SeriesId)), FiledBefore: true);
        }

        return new ArchiveFiling(record, FiledBefore: false);
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
        if (doc["framesReleased"].IsBoolean && doc["framesReleased"].AsBoolean)
        {
            throw new FramesReleasedException($"the frames of series {seriesId} were released to the PACS");
        }

        var frame = series.Frames.Single(f => f.Index == index);
        using var key = _keys.UnwrapSeriesKey(seriesId, doc["wrappedKey"].AsBinary);
        return await _frames.ReadAsync(seriesId, frame, key, cancellationToken);
    }

    public Task<bool> ReleaseFramesAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        FiledSeries series;
        using (_database.LockForChange())
        {
            if (_series.FindById(seriesId) is not { } doc)
            {
                return Task.FromResult(false);
            }

            series = ToSeries(doc);
            doc["framesReleased"] = true;
            _series.Update(doc);
        }

        // Marked first: a crash before this leaves frames no record reads, never a record without its frames.
        _frames.Delete(series.Frames);
        return Task.FromResult(true);
    }

    public Task<bool> MarkConsentWithdrawnAsync(string seriesId, ConsentWithdrawal withdrawal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using (_database.LockForChange())
        {
            var doc = _series.FindById(seriesId);
            if (doc is null)
            {
                return Task.FromResult(false);
            }

            var series = ToSeries(doc);
            if (series.ConsentWithdrawn is null)
            {
                doc["sealedRecord"] = _database.SealRecord(SeriesKind, seriesId, series with { ConsentWithdrawn = withdrawal });
                doc["consentWithdrawnAt"] = withdrawal.WithdrawnAt.UtcDateTime;
                _series.Update(doc);
            }

            return Task.FromResult(true);
        }
    }

    public Task<bool> RecordOutlineAsync(string seriesId, LesionOutline? outline, CancellationToken cancellationToken) =>
        ChangeRecordAsync(seriesId, found => found with { Outline = outline }, cancellationToken);

    public Task<bool> RecordOverviewReviewAsync(string seriesId, OverviewReview review, CancellationToken cancellationToken) =>
        ChangeRecordAsync(seriesId, found => found with { OverviewReview = review }, cancellationToken);

    /// <summary>Rewrites the sealed record as <paramref name="change"/> makes it, under the change lock; false if the series is not filed.</summary>
    private Task<bool> ChangeRecordAsync(string seriesId, Func<FiledSeries, FiledSeries> change, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using (_database.LockForChange())
        {
            var doc = _series.FindById(seriesId);
            if (doc is null)
            {
                return Task.FromResult(false);
            }

            doc["sealedRecord"] = _database.SealRecord(SeriesKind, seriesId, change(ToSeries(doc)));
            _series.Update(doc);
            return Task.FromResult(true);
        }
    }

    private FiledSeries ToSeries(BsonDocument doc)
    {
        var id = doc["_id"].AsString;
        var series = _database.OpenRecord<FiledSeries>(SeriesKind, doc);
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

    public Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<string> ids = [.. _series.FindAll().Select(d => d["_id"].AsString)];
        return Task.FromResult(ids);
    }
}
