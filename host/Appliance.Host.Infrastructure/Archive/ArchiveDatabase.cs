using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Appliance.Host.Core;
using Appliance.Host.Infrastructure.Security;
using LiteDB;
using Microsoft.Extensions.Options;
using JsonSerializer = System.Text.Json.JsonSerializer;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// The archive's database (<c>archive/archive.db</c>, encrypted by LiteDB under a password
/// derived from the archive key), shared by the stores that keep their records in it: series
/// (<see cref="LiteDbSeriesArchive"/>), capture jobs (<see cref="LiteDbCaptureJobs"/>) and
/// calibration profiles (<see cref="LiteDbCalibrationProfiles"/>). Series and job records are
/// also sealed with our own AEAD under the archive key with their id bound in
/// (<see cref="ArchiveKeys.SealRecord"/>): an edit, a swap or a block moved on disk is detected when read.
/// </summary>
public sealed class ArchiveDatabase : IDisposable
{
    public const string SeriesKind = "series";
    public const string JobKind = "job";
    private const string FormatMark = "sealed-records";
    private readonly LiteDatabase _db;

    public ArchiveDatabase(ArchiveKeys keys, IOptions<HostDataOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Keys = keys;
        Root = options.Value.Resolve("archive");
        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _db = new LiteDatabase(new ConnectionString
        {
            Filename = Path.Combine(Root, "archive.db"),
            Password = keys.DatabasePassword,
            Connection = ConnectionType.Shared,
        });
        SealPlainRecords();
    }

    public ArchiveKeys Keys { get; }

    /// <summary>The archive's folder: the database and, under <c>frames/</c>, the series' frames.</summary>
    public string Root { get; }

    /// <summary>How the stores write what they keep as JSON (sealed records, job events).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public ILiteCollection<BsonDocument> Collection(string name) => _db.GetCollection(name);

    /// <summary>
    /// Held while a record is read and replaced (a job's timeline, a withdrawal): every instance
    /// on this data folder opens the same database, and LiteDB serialises single operations only.
    /// </summary>
    public InstanceLock LockForChange() => InstanceLock.Acquire(Path.Combine(Root, "records.lock"));

    /// <summary>A record as JSON, sealed under the archive key with its kind and id bound in.</summary>
    public byte[] SealRecord<T>(string kind, string id, T record) => Keys.SealRecord(kind, id, JsonSerializer.SerializeToUtf8Bytes(record, Json));

    /// <summary>A sealed record opened and read; throws if it was altered, moved or is empty.</summary>
    public T OpenRecord<T>(string kind, BsonDocument doc)
        where T : class =>
        JsonSerializer.Deserialize<T>(OpenSealed(kind, doc), Json) ?? throw new InvalidDataException($"{kind} record {doc?["_id"]} is empty");

    /// <summary>A record's sealed bytes, opened; a record that is not sealed was altered.</summary>
    public byte[] OpenSealed(string kind, BsonDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var id = doc["_id"].AsString;
        return doc["sealedRecord"].IsBinary
            ? Keys.OpenRecord(kind, id, doc["sealedRecord"].AsBinary)
            : throw new CryptographicException($"the {kind} record {id} is not sealed: it was altered");
    }

    public void Dispose() => _db.Dispose();

    /// <summary>
    /// An archive written before records were sealed is sealed once, at the first start of this
    /// version, and marked so (the mark itself sealed); after that a plain record is an alteration.
    /// </summary>
    private void SealPlainRecords()
    {
        var meta = _db.GetCollection("meta");
        if (meta.FindById(FormatMark) is { } mark)
        {
            Keys.OpenRecord(FormatMark, FormatMark, mark["sealed"].AsBinary); // throws if the mark was forged or moved
            return;
        }

        foreach (var (collection, kind) in new[] { (LiteDbSeriesArchive.CollectionName, SeriesKind), (LiteDbCaptureJobs.CollectionName, JobKind) })
        {
            var records = _db.GetCollection(collection);
            foreach (var doc in records.FindAll().Where(d => d["record"].IsString && !d["sealedRecord"].IsBinary).ToList())
            {
                doc["sealedRecord"] = Keys.SealRecord(kind, doc["_id"].AsString, Encoding.UTF8.GetBytes(doc["record"].AsString));
                doc.Remove("record");
                records.Update(doc);
            }
        }

        meta.Upsert(new BsonDocument { ["_id"] = FormatMark, ["sealed"] = Keys.SealRecord(FormatMark, FormatMark, "v1"u8) });
    }
}
