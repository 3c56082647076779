using System.Collections.Concurrent;
using System.Security.Cryptography;
using Appliance.Host.Core.Releases;

namespace Appliance.Host.Core.Rollouts;

/// <summary>An imported package as an update order names it: its file, size, digest and one digest per chunk.</summary>
public sealed record PackageChunks(string Path, long Size, string Sha256, int ChunkSize, string[] ChunkSha256);

/// <summary>
/// The imported release packages cut into chunks for delivery: each package is hashed once per
/// chunk size (an order lists every chunk's digest) and its chunks read from the file as
/// appliances ask for them.
/// </summary>
public sealed class ReleasePackages(IReleaseStore store)
{
    private readonly ConcurrentDictionary<(string Path, int ChunkSize), PackageChunks> _described = new();

    public PackageChunks Describe(string version, string architecture, int chunkSize)
    {
        var path = store.PackagePath(version, architecture) ?? throw new InvalidOperationException($"{version} for {architecture} is not imported");
        return _described.GetOrAdd((path, chunkSize), key => Hash(key.Path, key.ChunkSize));
    }

    /// <summary>Chunk <paramref name="index"/> of the package (open as <paramref name="file"/>) into <paramref name="buffer"/>; the number of bytes.</summary>
    public static int ReadChunk(Microsoft.Win32.SafeHandles.SafeFileHandle file, PackageChunks package, int index, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(package);
        var offset = (long)index * package.ChunkSize;
        var length = (int)Math.Min(package.ChunkSize, package.Size - offset);
        return RandomAccess.Read(file, buffer.AsSpan(0, length), offset);
    }

    private static PackageChunks Hash(string path, int chunkSize)
    {
        using var file = File.OpenRead(path);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var digests = new List<string>();
        var buffer = new byte[chunkSize];
        int read;
        while ((read = file.ReadAtLeast(buffer, chunkSize, throwOnEndOfStream: false)) > 0)
        {
            whole.AppendData(buffer, 0, read);
            digests.Add(Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, read))));
        }

        return new PackageChunks(path, file.Length, Convert.ToHexStringLower(whole.GetHashAndReset()), chunkSize, [.. digests]);
    }
}
