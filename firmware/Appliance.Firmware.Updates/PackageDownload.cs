using System.Security.Cryptography;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.Protocol.Releases;

namespace Appliance.Firmware.Updates;

/// <summary>
/// The package an accepted update order names, arriving chunk by chunk into the staging folder
/// (<c>{Update:Root}/staging/</c>): the order as <c>order.json</c> and the bytes in
/// <c>{packageSha256}.part</c>, each chunk written at its offset only once its SHA-256 matches the
/// order's. Nothing is flushed chunk by chunk: after a restart each chunk of the part file is
/// hashed again, so whatever the disk lost is simply fetched again, and an order for the same
/// package (the host re-sends orders) resumes where the last one stopped.
/// </summary>
public sealed class PackageDownload : IDisposable
{
    private const string OrderFile = "order.json";
    private readonly FileStream _part;
    private readonly bool[] _held;

    private PackageDownload(string folder, UpdateOrder order, DateTimeOffset expiresAt, FileStream part, bool[] held)
    {
        Folder = folder;
        Order = order;
        ExpiresAt = expiresAt;
        _part = part;
        _held = held;
        HeldCount = held.Count(h => h);
    }

    public string Folder { get; }

    public UpdateOrder Order { get; }

    /// <summary>The order's expiry: the package is not installed after it without a fresh order.</summary>
    public DateTimeOffset ExpiresAt { get; }

    public int HeldCount { get; private set; }

    public bool Complete => HeldCount == Order.ChunkCount;

    public string PartPath => PartPathOf(Folder, Order);

    /// <summary>
    /// Starts (or resumes) the download of <paramref name="order"/>'s package; anything staged for
    /// another package is removed first.
    /// </summary>
    public static PackageDownload Begin(string folder, UpdateOrder order, DateTimeOffset expiresAt)
    {
        Directory.CreateDirectory(folder);
        foreach (var other in Directory.EnumerateFiles(folder, "*.part").Where(p => p != PartPathOf(folder, order)))
        {
            File.Delete(other);
        }

        var command = new HostCommand(HostCommand.UpdateKind, ExpiresAt: expiresAt, Update: order);
        AtomicRename.ReplaceFile(Path.Combine(folder, OrderFile), ProtocolJson.Serialize(command));
        return Open(folder, order, expiresAt);
    }

    /// <summary>The download a restart interrupted, or null when none is staged.</summary>
    public static PackageDownload? Resume(string folder)
    {
        var path = Path.Combine(folder, OrderFile);
        if (!File.Exists(path) || !ProtocolJson.TryDeserialize<HostCommand>(File.ReadAllBytes(path), out var command, out _)
            || command.Update is not { } order || order.Validate() is not null)
        {
            return null;
        }

        return Open(folder, order, command.ExpiresAt);
    }

    /// <summary>Removes the staged order and package (installed, refused or replaced).</summary>
    public static void Clear(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Keeps a chunk that matches the order; null when kept (or already held), else why not.</summary>
    public string? Write(int index, ReadOnlySpan<byte> chunk)
    {
        if (index < 0 || index >= Order.ChunkCount)
        {
            return $"chunk {index} is outside the package ({Order.ChunkCount} chunks)";
        }

        if (chunk.Length != Order.LengthOf(index))
        {
            return $"chunk {index} is {chunk.Length} bytes, not {Order.LengthOf(index)}";
        }

        if (Convert.ToHexStringLower(SHA256.HashData(chunk)) != Order.ChunkSha256[index])
        {
            return $"chunk {index} does not match the order's digest";
        }

        if (_held[index])
        {
            return null;
        }

        RandomAccess.Write(_part.SafeFileHandle, chunk, Order.OffsetOf(index));
        _held[index] = true;
        HeldCount++;
        return null;
    }

    /// <summary>Up to <paramref name="count"/> missing chunks as contiguous ranges, lowest first.</summary>
    public IReadOnlyList<(int Start, int Count)> NextMissing(int count)
    {
        var ranges = new List<(int Start, int Count)>();
        var taken = 0;
        for (var i = 0; i < _held.Length && taken < count; i++)
        {
            if (_held[i])
            {
                continue;
            }

            if (ranges.Count > 0 && ranges[^1].Start + ranges[^1].Count == i && ranges[^1].Count < UpdateOrder.MaxChunksPerRequest)
            {
                ranges[^1] = (ranges[^1].Start, ranges[^1].Count + 1);
            }
            else
            {
                ranges.Add((i, 1));
            }

            taken++;
        }

        return ranges;
    }

    public bool Holds(int index) => index >= 0 && index < _held.Length && _held[index];

    /// <summary>Flushes the part file: done once, before the package is verified and installed.</summary>
    public void Flush() => _part.Flush(flushToDisk: true);

    public void Dispose() => _part.Dispose();

    private static PackageDownload Open(string folder, UpdateOrder order, DateTimeOffset expiresAt)
    {
        var part = new FileStream(PartPathOf(folder, order), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            if (part.Length != order.PackageSize)
            {
                part.SetLength(order.PackageSize);
            }

            var held = new bool[order.ChunkCount];
            var buffer = new byte[order.ChunkSize];
            for (var i = 0; i < held.Length; i++)
            {
                var length = order.LengthOf(i);
                var read = RandomAccess.Read(part.SafeFileHandle, buffer.AsSpan(0, length), order.OffsetOf(i));
                held[i] = read == length && Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, length))) == order.ChunkSha256[i];
            }

            return new PackageDownload(folder, order, expiresAt, part, held);
        }
        catch
        {
            part.Dispose();
            throw;
        }
    }

    private static string PartPathOf(string folder, UpdateOrder order) => Path.Combine(folder, order.PackageSha256 + ".part");
}
