namespace Appliance.Host.Infrastructure.Security;

/// <summary>Key material on disk: owner-only permissions from the moment the file exists, written whole or not at all.</summary>
public static class SecureFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="durable">
    /// Flush to the disk before the rename (keys, counters). Without it the file is still
    /// replaced whole, but a power cut may lose the latest version: for snapshots that the
    /// next message rewrites anyway.
    /// </param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, bool durable = true)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        }))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: durable);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// A shared secret (<see cref="HostDataOptions.Secret"/>): read from the secrets folder, which
    /// is never written (a missing one is the operator's to export, and an instance that made its
    /// own would part from the others); or read or made in the data folder when there is none.
    /// </summary>
    public static byte[] ReadOrCreateSecret(HostDataOptions options, Func<byte[]> create, params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.Secret(parts);
        if (options.SharesSecrets)
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : throw MissingSecretException.For(options, parts);
        }

        return ReadOrCreate(path, create);
    }

    /// <summary>Reads a key file, or creates it with <paramref name="create"/> on first start.</summary>
    public static byte[] ReadOrCreate(string path, Func<byte[]> create)
    {
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }

        var content = create();
        WriteAllBytes(path, content);
        return content;
    }
}
