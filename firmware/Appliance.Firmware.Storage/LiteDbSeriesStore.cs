using Appliance.Firmware.Core;
using LiteDB;

namespace Appliance.Firmware.Storage;

/// <summary>
/// Sealed series on the appliance. LiteDB holds each series' state, digests and envelope
/// header (manifest), encrypted with the device's store secret (LiteDB's own AES). The sealed
/// frames, about 73 MB for a 12 MP series and far past LiteDB's 16 MB document limit, go to
/// one file per series beside it (<see cref="SealedFrameFiles"/>); they are sealed to the host
/// already, so a second layer there would only cost time.
/// The frames file is made durable first and the document written last: a document always has
/// its frames. On open, frames without a document (a crash between the two) are removed, and so
/// is a document whose frames are gone.
/// Always opened with <c>Connection=shared</c>: the default direct mode loses writes when a
/// second process opens the same file (see shared FINDINGS).
/// </summary>
public sealed class LiteDbSeriesStore : IClosableSeriesStore
{
    private const string Collection = "series";
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<SeriesDocument> _series;
    private readonly SealedFrameFiles _frames;
    private readonly StoreOptions _limits;
    private readonly string _folder;

    public LiteDbSeriesStore(string path, string secret, StoreOptions? limits = null)
    {
        _limits = limits ?? new StoreOptions();
        var fullPath = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        _folder = folder;
        var connection = new ConnectionString
        {
            Filename = path,
            Password = secret,
            Connection = ConnectionType.Shared,
        };
        _db = new LiteDatabase(connection);
        _series = _db.GetCollection<SeriesDocument>(Collection);
        _series.EnsureIndex(s => s.CapturedAt);
        _frames = new SealedFrameFiles(System.IO.Path.ChangeExtension(fullPath, ".sealed"));
        Reconcile();
    }

    public Task AddAsync(StoredSeries series, SealedEnvelope envelope, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Frames file and record come and go together, so the file says whether the id is taken;
        // asking LiteDB would cost a whole shared-mode open of the database.
        if (_frames.Exists(series.SeriesId))
        {
            throw new InvalidOperationException($"series {series.SeriesId} is already in the store");
        }

        _frames.Write(series.SeriesId, envelope.SealedFrames);
        try
        {
            _series.Insert(SeriesDocument.From(series with { EnvelopeBytes = envelope.Length }, envelope.Header.ToArray()));
        }
        catch
        {
            _frames.Delete(series.SeriesId);
            throw;
        }

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

        var envelope = new byte[doc.EnvelopeBytes];
        doc.Header.CopyTo(envelope, 0);
        if (!_frames.TryRead(seriesId, envelope.AsSpan(doc.Header.Length)))
        {
            throw new InvalidDataException($"the sealed frames of series {seriesId} are missing or damaged");
        }

        return Task.FromResult<byte[]?>(envelope);
    }

    public Task<IEnvelopeReader?> OpenEnvelopeAsync(string seriesId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _series.FindById(seriesId);
        var frames = doc is null ? null : _frames.OpenRead(seriesId);
        if (doc is null || frames is null)
        {
            return Task.FromResult<IEnvelopeReader?>(null);
        }

        if (RandomAccess.GetLength(frames) != doc.EnvelopeBytes - doc.Header.Length)
        {
            frames.Dispose();
            throw new InvalidDataException($"the sealed frames of series {seriesId} are damaged");
        }

        return Task.FromResult<IEnvelopeReader?>(new StoredEnvelopeReader(doc.Header, frames));
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
        // Document first: without it the series is gone, and leftover frames are swept on open.
        var deleted = _series.Delete(seriesId);
        _frames.Delete(seriesId);
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

    public Task<string?> CheckRoomAsync(long seriesBytes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiting = _series.Count();
        if (waiting >= _limits.MaxSeries)
        {
            return Task.FromResult<string?>($"store full: {waiting} series wait for the host (limit {_limits.MaxSeries})");
        }

        var used = _series.Query().Select(s => s.EnvelopeBytes).ToList().Sum();
        if (used + seriesBytes > _limits.MaxBytes)
        {
            return Task.FromResult<string?>($"store full: {used >> 20} MiB wait for the host (limit {_limits.MaxBytes >> 20} MiB)");
        }

        var free = new DriveInfo(_folder).AvailableFreeSpace;
        return Task.FromResult<string?>(free - seriesBytes < _limits.MinFreeBytes
            ? $"disk nearly full: {free >> 20} MiB free, a series needs {seriesBytes >> 20} MiB and {_limits.MinFreeBytes >> 20} MiB must stay free"
            : null);
    }

    public void Dispose() => _db.Dispose();

    /// <summary>
    /// Sweeps what a crash left. Only the firmware service opens the store while it runs (the
    /// wipe command wants it stopped): a second process opening it mid-write would take the
    /// frames of a series still being stored for an orphan.
    /// </summary>
    private void Reconcile()
    {
        var withFrames = _frames.ListAndSweepPartials().ToHashSet(StringComparer.Ordinal);
        var documented = _series.Query().Select(s => s.Id).ToList().ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in withFrames.Except(documented))
        {
            _frames.Delete(orphan);
        }

        foreach (var lost in documented.Except(withFrames))
        {
            _series.Delete(lost);
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

    /// <summary>The envelope's header: preamble and manifest (episode code, body site, digests).</summary>
    public byte[] Header { get; set; } = [];

    /// <summary>The envelope's chunk digests and their chunk size (0 and none: not known, hashed at the offer).</summary>
    public int ChunkSize { get; set; }

    public string[] ChunkSha256 { get; set; } = [];

    public static SeriesDocument From(StoredSeries s, byte[] header) => new()
    {
        Header = header,
        Id = s.SeriesId,
        State = s.State,
        CapturedAt = s.CapturedAt.UtcDateTime,
        FrameSha256 = s.FrameSha256,
        EnvelopeBytes = s.EnvelopeBytes,
        ChunkSize = s.Chunks?.ChunkSize ?? 0,
        ChunkSha256 = s.Chunks?.Sha256 ?? [],
    };

    public StoredSeries ToStored() =>
        new(Id, State, new DateTimeOffset(CapturedAt.ToUniversalTime()), FrameSha256, EnvelopeBytes, ChunkSize == 0 ? null : new ChunkDigests(ChunkSize, ChunkSha256));
}
