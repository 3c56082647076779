namespace Appliance.Firmware.Core;

/// <summary>Where a series is in its life on the appliance.</summary>
public enum SeriesState
{
    Queued,
    Uploading,
    Filed,
}

/// <summary>
/// A sealed series as the appliance keeps it: its state and digests. The upload envelope
/// (manifest plus frames sealed to the host, tens of megabytes at 12 MP) is read separately,
/// one series at a time. Nothing in either can be opened on the appliance.
/// </summary>
/// <param name="Chunks">The envelope's chunk digests, hashed once when it was packaged, so that an offer needs no pass over it; null if not known.</param>
public sealed record StoredSeries(string SeriesId, SeriesState State, DateTimeOffset CapturedAt, string[] FrameSha256, long EnvelopeBytes, ChunkDigests? Chunks = null);

/// <summary>The SHA-256 of each <see cref="ChunkSize"/>-byte chunk of a stored envelope, as a transfer offer carries them.</summary>
public sealed record ChunkDigests(int ChunkSize, string[] Sha256)
{
    /// <summary>The digests for the default chunk size of an envelope in memory.</summary>
    public static ChunkDigests For(SealedEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new(Protocol.TransferOffer.DefaultChunkSize, Protocol.TransferOffer.ChunkDigests([envelope.Header, .. envelope.SealedFrames], Protocol.TransferOffer.DefaultChunkSize));
    }

    /// <summary>True if these digests cut an envelope of <paramref name="length"/> bytes into chunks of <paramref name="chunkSize"/>.</summary>
    public bool Fit(long length, int chunkSize) =>
        ChunkSize == chunkSize && Sha256.Length == Protocol.TransferOffer.ChunkCountFor(length, chunkSize);
}

/// <summary>
/// A series' upload envelope in its two parts, as the capture produces them: the header
/// (preamble and manifest) and the frames sealed to the host. Kept apart so that a 12 MP series
/// is never copied into one 70 MB buffer just to be stored.
/// </summary>
public sealed record SealedEnvelope(ReadOnlyMemory<byte> Header, IReadOnlyList<ReadOnlyMemory<byte>> SealedFrames)
{
    public long Length => Header.Length + SealedFrames.Sum(f => (long)f.Length);

    /// <summary>The envelope as one buffer, header then frames: what goes on the wire.</summary>
    public byte[] ToArray()
    {
        var result = new byte[Length];
        Header.CopyTo(result);
        var offset = Header.Length;
        foreach (var frame in SealedFrames)
        {
            frame.CopyTo(result.AsMemory(offset));
            offset += frame.Length;
        }

        return result;
    }
}

/// <summary>
/// Random access to one stored envelope, for sending it in chunks without holding all of it in
/// memory (a 12 MP series is 74 MB). Reads what was stored; the series stays in the store.
/// </summary>
public interface IEnvelopeReader : IDisposable
{
    long Length { get; }

    /// <summary>Fills <paramref name="destination"/> with the envelope's bytes from <paramref name="offset"/>.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);
}

/// <summary>An envelope already in memory (small series, tests).</summary>
public sealed class MemoryEnvelopeReader(ReadOnlyMemory<byte> envelope) : IEnvelopeReader
{
    public long Length => envelope.Length;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset + destination.Length > envelope.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "read past the end of the envelope");
        }

        envelope.Slice((int)offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }
}

/// <summary>The appliance's store of sealed series, kept until the host confirms filing.</summary>
public interface ISeriesStore
{
    /// <summary>Stores a series and its envelope; once this returns both survive a power cut.</summary>
    Task AddAsync(StoredSeries series, SealedEnvelope envelope, CancellationToken cancellationToken);

    /// <summary>The upload envelope of a stored series; null if the series is not (or no longer) there.</summary>
    Task<byte[]?> ReadEnvelopeAsync(string seriesId, CancellationToken cancellationToken);

    /// <summary>Opens a stored envelope for reading in pieces; null if the series is not (or no longer) there.</summary>
    Task<IEnvelopeReader?> OpenEnvelopeAsync(string seriesId, CancellationToken cancellationToken);

    /// <summary>Series not yet confirmed filed, oldest first.</summary>
    Task<IReadOnlyList<StoredSeries>> ListPendingAsync(CancellationToken cancellationToken);

    Task<StoredSeries?> FindAsync(string seriesId, CancellationToken cancellationToken);

    Task SetStateAsync(string seriesId, SeriesState state, CancellationToken cancellationToken);

    /// <summary>Removes a series for good; true if it was there.</summary>
    Task<bool> DeleteAsync(string seriesId, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Null if a series of about <paramref name="seriesBytes"/> fits within the store's limits
    /// and the disk's free space; else why not, in words for staff and the host.
    /// </summary>
    Task<string?> CheckRoomAsync(long seriesBytes, CancellationToken cancellationToken);
}

/// <summary>
/// A series store that can be closed for good: the wipe counts what is still unsent, closes the
/// store, then destroys the secret that opens it. Erasing goes through this, not a concrete store.
/// </summary>
public interface IClosableSeriesStore : ISeriesStore, IDisposable;
