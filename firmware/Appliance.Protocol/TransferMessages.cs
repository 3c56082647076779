using System.Text.Json.Serialization;

namespace Appliance.Protocol;

/// <summary>
/// Device → host on <c>…/upload</c>: "I hold this sealed series, this long, cut into chunks of
/// this size with these digests." Starts a transfer, or resumes one after a disconnect or a
/// restart of either side. The per-chunk digests let the host refuse a damaged chunk on arrival
/// and, after its own restart, tell which chunks it already holds by hashing them again.
/// </summary>
public sealed record TransferOffer(string SeriesId, string DeviceId, long Length, int ChunkSize, string[] ChunkSha256)
{
    /// <summary>Smallest chunk size a device may use: below it the per-message overhead dominates.</summary>
    public const int MinChunkSize = 4 * 1024;

    /// <summary>
    /// The chunk size an appliance uses unless configured otherwise (Uplink:ChunkSize), and the
    /// one its store hashes a series for when it is stored.
    /// </summary>
    public const int DefaultChunkSize = 60 * 1024;

    /// <summary>
    /// The SHA-256 of each <paramref name="chunkSize"/>-byte chunk of an envelope given in parts
    /// (header, then frames), chunks hashed in parallel; what an offer carries.
    /// </summary>
    public static string[] ChunkDigests(IReadOnlyList<ReadOnlyMemory<byte>> parts, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, MinChunkSize);
        var starts = new long[parts.Count];
        long length = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            starts[i] = length;
            length += parts[i].Length;
        }

        var digests = new string[ChunkCountFor(length, chunkSize)];
        Parallel.For(0, digests.Length, index =>
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var from = (long)index * chunkSize;
            var to = Math.Min(from + chunkSize, length);
            for (var p = 0; p < parts.Count && from < to; p++)
            {
                var end = starts[p] + parts[p].Length;
                if (end <= from)
                {
                    continue;
                }

                var take = (int)(Math.Min(end, to) - from);
                hash.AppendData(parts[p].Span.Slice((int)(from - starts[p]), take));
                from += take;
            }

            digests[index] = Convert.ToHexStringLower(hash.GetHashAndReset());
        });
        return digests;
    }

    /// <summary>Number of chunks a series of <paramref name="length"/> bytes takes.</summary>
    public static int ChunkCountFor(long length, int chunkSize) => (int)((length + chunkSize - 1) / chunkSize);

    public int ChunkCount => ChunkCountFor(Length, ChunkSize);

    /// <summary>Bytes in chunk <paramref name="index"/>: the chunk size, except for a shorter last chunk.</summary>
    public int ChunkLength(int index) => (int)Math.Min(ChunkSize, Length - ((long)index * ChunkSize));

    /// <summary>The same series cut the same way: a resumed transfer keeps the chunks it has.</summary>
    public bool Matches(TransferOffer other) =>
        other.SeriesId == SeriesId && other.DeviceId == DeviceId && other.Length == Length
        && other.ChunkSize == ChunkSize && other.ChunkSha256.SequenceEqual(ChunkSha256);

    /// <summary>Null if the offer is acceptable under the receiver's limits; else why not.</summary>
    public string? Validate(long maxLength, int maxChunkSize)
    {
        if (!Guid.TryParse(SeriesId, out _))
        {
            return "seriesId is not a GUID";
        }

        if (!Protocol.DeviceId.IsValid(DeviceId))
        {
            return "deviceId is not a valid device id";
        }

        if (Length <= 0 || Length > maxLength)
        {
            return $"length must be 1 to {maxLength} bytes";
        }

        if (ChunkSize < MinChunkSize || ChunkSize > maxChunkSize)
        {
            return $"chunk size must be {MinChunkSize} to {maxChunkSize} bytes";
        }

        if (ChunkSha256 is null || ChunkSha256.Length != ChunkCount)
        {
            return $"{ChunkCount} chunk digests expected";
        }

        foreach (var digest in ChunkSha256)
        {
            if (digest is null || digest.Length != 64 || !digest.All(char.IsAsciiHexDigitLower))
            {
                return "chunk digests must be lower-case hex SHA-256";
            }
        }

        return null;
    }
}

/// <summary>Where a transfer stands on the host.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TransferState>))]
public enum TransferState
{
    /// <summary>The host holds some chunks; <see cref="TransferProgress.Missing"/> lists the rest.</summary>
    Receiving,

    /// <summary>Filed; the signed receipt is on its way (or was sent before).</summary>
    Filed,

    /// <summary>The host refused the offer or the assembled series; the reason says why.</summary>
    Rejected,

    /// <summary>The receiver knows no offer for this series (it restarted without it, or never saw one): offer again.</summary>
    Unknown,
}

/// <summary>A run of chunk indices: <see cref="Start"/> and the <see cref="Count"/> that follow.</summary>
public sealed record ChunkRange(int Start, int Count);

/// <summary>
/// Host → device on <c>…/progress</c>: the answer to an offer or an end, naming the host instance
/// (<see cref="Receiver"/>) the chunks go to and the chunks it still lacks.
/// </summary>
public sealed record TransferProgress(string SeriesId, string Receiver, TransferState State, ChunkRange[] Missing, string? Reason = null)
{
    /// <summary>The missing chunk indices, in order.</summary>
    public IEnumerable<int> MissingIndices() =>
        Missing.SelectMany(r => Enumerable.Range(r.Start, Math.Max(0, r.Count)));

    /// <summary>Compresses sorted indices into ranges, so a fresh 300-chunk transfer is one range.</summary>
    public static ChunkRange[] ToRanges(IEnumerable<int> sortedIndices)
    {
        var ranges = new List<ChunkRange>();
        int start = -1, count = 0;
        foreach (var i in sortedIndices)
        {
            if (count > 0 && i == start + count)
            {
                count++;
                continue;
            }

            if (count > 0)
            {
                ranges.Add(new ChunkRange(start, count));
            }

            start = i;
            count = 1;
        }

        if (count > 0)
        {
            ranges.Add(new ChunkRange(start, count));
        }

        return [.. ranges];
    }
}
