using Appliance.Firmware.Core;
using LiteDB;

namespace Appliance.Firmware.Storage;

/// <summary>
/// Sealed series in LiteDB. The file is encrypted with the device's store secret (LiteDB's own
/// AES, a second layer: the frames inside are already sealed to the host). Always opened with
/// <c>Connection=shared</c>: the default direct mode loses writes when a second process opens
/// the same file (see shared FINDINGS).
/// A document holds a series' state and digests; its envelope lives in LiteDB's file storage,
/// because a 12 MP series (about 73 MB) is far past LiteDB's 16 MB document limit. The envelope
/// is written first and the document last, so a document always has a whole envelope; an
/// envelope left without a document by a crash is removed when the store opens.
/// </summary>
public sealed class LiteDbSeriesStore : ISeriesStore, IDisposable
{
    private const string Collection = "series";
    private const string FilesCollection = "envelopes";
    private const string ChunksCollection = "envelope_chunks";
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<SeriesDocument> _series;
    private readonly ILiteStorage<string> _envelopes;

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
        _envelopes = _db.GetStorage<string>(FilesCollection, ChunksCollection);
        RemoveOrphanedEnvelopes();
    }

    public Task AddAsync(StoredSeries series, ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_series.Exists(s => s.Id == series.SeriesId))
        {
            throw new InvalidOperationException($"series {series.SeriesId} is already in the store");
        }

        using (var target = _envelopes.OpenWrite(series.SeriesId, series.SeriesId + ".ase"))
        {
            target.Write(envelope.Span);
        }

        _series.Insert(SeriesDocument.From(series with { EnvelopeBytes = envelope.Length }));
        return Task.CompletedTask;
    }

    public Task<byte[]?> ReadEnvelopeAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _series.FindById(seriesId);
        if (doc is null)
        {
            return Task.FromResult<byte[]?>(null);
        }

        using var source = _envelopes.OpenRead(seriesId);
        var envelope = new byte[source.Length];
        source.ReadExactly(envelope);
        return Task.FromResult<byte[]?>(envelope);
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
        // Document first: without it the series is gone, and a leftover envelope is an orphan.
        var deleted = _series.Delete(seriesId);
        _envelopes.Delete(seriesId);
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

    private void RemoveOrphanedEnvelopes()
    {
        foreach (var file in _envelopes.FindAll().ToList())
        {
            if (!_series.Exists(s => s.Id == file.Id))
            {
                _envelopes.Delete(file.Id);
            }
        }
    }
}

/// <summary>The stored shape; kept apart from <see cref="StoredSeries"/> so the store's schema is its own.</summary>
internal sealed class SeriesDocument
{
    [BsonId]
    public string Id { get; set; } = string.Empty;

    public SeriesState State { get; set; }

    public DateTime CapturedAt { get; set; }

    public string[] FrameSha256 { get; set; } = [];

    public long EnvelopeBytes { get; set; }

    public static SeriesDocument From(StoredSeries s) => new()
    {
        Id = s.SeriesId,
        State = s.State,
        CapturedAt = s.CapturedAt.UtcDateTime,
        FrameSha256 = s.FrameSha256,
        EnvelopeBytes = s.EnvelopeBytes,
    };

    public StoredSeries ToStored() =>
        new(Id, State, new DateTimeOffset(CapturedAt.ToUniversalTime()), FrameSha256, EnvelopeBytes);
}
