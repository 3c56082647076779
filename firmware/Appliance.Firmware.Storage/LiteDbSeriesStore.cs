using Appliance.Firmware.Core;
using LiteDB;

namespace Appliance.Firmware.Storage;

/// <summary>
/// Sealed series in LiteDB. The file is encrypted with the device's store secret (LiteDB's own
/// AES, a second layer: the frames inside are already sealed to the host). Always opened with
/// <c>Connection=shared</c>: the default direct mode loses writes when a second process opens
/// the same file (see shared FINDINGS).
/// </summary>
public sealed class LiteDbSeriesStore : ISeriesStore, IDisposable
{
    private const string Collection = "series";
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<SeriesDocument> _series;

    public LiteDbSeriesStore(string path, string secret)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new ConnectionString
        {
            Filename = path,
            Password = secret,
            Connection = ConnectionType.Shared,
        };
        _db = new LiteDatabase(connection);
        _series = _db.GetCollection<SeriesDocument>(Collection);
        _series.EnsureIndex(s => s.CapturedAt);
    }

    public Task AddAsync(StoredSeries series, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _series.Insert(SeriesDocument.From(series));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StoredSeries>> ListPendingAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<StoredSeries> pending = [.. _series.Find(s => s.State != SeriesState.Filed)
            .OrderBy(s => s.CapturedAt)
            .Select(s => s.ToStored())];
        return Task.FromResult(pending);
    }

    public Task<StoredSeries?> FindAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_series.FindById(seriesId)?.ToStored());
    }

    public Task SetStateAsync(string seriesId, SeriesState state, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _series.FindById(seriesId) ?? throw new KeyNotFoundException($"series {seriesId} is not in the store");
        doc.State = state;
        _series.Update(doc);
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var deleted = _series.Delete(seriesId);
        if (deleted)
        {
            // Push the deletion out of the log into the data file so the pages are reusable now.
            _db.Checkpoint();
        }

        return Task.FromResult(deleted);
    }

    public Task<int> CountAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_series.Count());
    }

    public void Dispose() => _db.Dispose();
}

/// <summary>The stored shape; kept apart from <see cref="StoredSeries"/> so the store's schema is its own.</summary>
internal sealed class SeriesDocument
{
    [BsonId]
    public string Id { get; set; } = string.Empty;

    public SeriesState State { get; set; }

    public DateTime CapturedAt { get; set; }

    public string[] FrameSha256 { get; set; } = [];

    public byte[] Envelope { get; set; } = [];

    public static SeriesDocument From(StoredSeries s) => new()
    {
        Id = s.SeriesId,
        State = s.State,
        CapturedAt = s.CapturedAt.UtcDateTime,
        FrameSha256 = s.FrameSha256,
        Envelope = s.Envelope,
    };

    public StoredSeries ToStored() =>
        new(Id, State, new DateTimeOffset(CapturedAt.ToUniversalTime()), FrameSha256, Envelope);
}
