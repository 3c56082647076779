using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Appliance.Host.Infrastructure.Backup;

/// <summary>One file in a backup, with what it must read back as.</summary>
public sealed record BackupFile(string Path, long Size, string Sha256);

/// <summary>The first entry of every backup: when, and every file with its size and SHA-256.</summary>
public sealed record BackupManifest(DateTimeOffset CreatedAt, BackupFile[] Files);

/// <summary>
/// Backup and restore of the host's whole data folder (CA and keys, device keys and
/// revocations, the encrypted archive, the audit trail) as one tar inside a sealed backup
/// stream under the operator's passphrase. The host should be stopped while it runs, so that
/// LiteDB files are not caught mid-write. Restore extracts into an empty folder and checks
/// every file against the manifest; the command line then opens the restored archive and
/// checks every frame against its digest.
/// </summary>
public static class HostBackup
{
    public const string ManifestName = "backup-manifest.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static BackupManifest Create(string dataFolder, string outputPath, string passphrase, TimeProvider time)
    {
        var root = Path.GetFullPath(dataFolder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"no host data folder at {root}");
        }

        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => new BackupFile(Path.GetRelativePath(root, f), new FileInfo(f).Length, Sha256Of(f)))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToArray();
        var manifest = new BackupManifest(time.GetUtcNow(), files);
        using var output = new FileStream(outputPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using (var sealedStream = new SealedBackupWriteStream(output, passphrase))
        using (var tar = new TarWriter(sealedStream, TarEntryFormat.Pax, leaveOpen: true))
        {
            var manifestEntry = new PaxTarEntry(TarEntryType.RegularFile, ManifestName) { DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, Json)) };
            tar.WriteEntry(manifestEntry);
            foreach (var file in files)
            {
                tar.WriteEntry(Path.Combine(root, file.Path), file.Path);
            }
        }

        output.Flush(flushToDisk: true);
        return manifest;
    }

    /// <summary>Extracts a backup into an empty or new folder and checks every file; throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static BackupManifest Restore(string backupPath, string passphrase, string targetFolder)
    {
        var target = Path.GetFullPath(targetFolder);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"{target} is not empty: restore into a new folder");
        }

        Directory.CreateDirectory(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var input = File.OpenRead(backupPath);
        using var sealedStream = new SealedBackupReadStream(input, passphrase);
        using var tar = new TarReader(sealedStream);
        var first = tar.GetNextEntry() ?? throw new InvalidDataException("the backup is empty");
        if (first.Name != ManifestName || first.DataStream is null)
        {
            throw new InvalidDataException("the backup does not start with its manifest");
        }

        var manifest = JsonSerializer.Deserialize<BackupManifest>(first.DataStream, Json) ?? throw new InvalidDataException("the manifest is empty");
        var expected = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (tar.GetNextEntry() is { } entry)
        {
            if (!expected.TryGetValue(entry.Name, out var file) || !seen.Add(entry.Name))
            {
                throw new InvalidDataException($"the backup holds '{entry.Name}', which its manifest does not list");
            }

            // Names come from the manifest's own list, but a crafted file must still not escape the folder.
            var path = Path.GetFullPath(Path.Combine(target, entry.Name));
            if (!path.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"'{entry.Name}' would be written outside {target}");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            entry.ExtractToFile(path, overwrite: false);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (new FileInfo(path).Length != file.Size || Sha256Of(path) != file.Sha256)
            {
                throw new InvalidDataException($"'{entry.Name}' does not match its digest in the manifest");
            }
        }

        var missing = expected.Keys.Except(seen).ToList();
        return missing.Count == 0 ? manifest : throw new InvalidDataException($"the backup lacks {missing.Count} files its manifest lists, {missing[0]} first");
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
