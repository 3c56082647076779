using System.Text.Json;
using Appliance.Host.Core.Releases;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Releases;

/// <summary>
/// <c>releases/</c> in the host's data folder: <c>trusted-keys.json</c> (key set 0),
/// <c>key-rotations.json</c> (the signed rotations since), and each accepted package
/// as <c>{version}-{architecture}.release</c> beside its record (<c>.json</c>), both owner-only.
/// </summary>
public sealed class FileReleaseStore(IOptions<HostDataOptions> options) : IReleaseStore
{
    private const string RotationsFile = "key-rotations.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string Folder => options.Value.Resolve("releases");

    public IReadOnlyList<TrustedReleaseKey> TrustedKeys()
    {
        var path = Path.Combine(Folder, "trusted-keys.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<List<TrustedReleaseKey>>(File.ReadAllBytes(path), Json) ?? [] : [];
    }

    public void SaveTrustedKeys(IReadOnlyList<TrustedReleaseKey> keys)
    {
        Directory.CreateDirectory(Folder);
        SecureFiles.WriteAllBytes(Path.Combine(Folder, "trusted-keys.json"), JsonSerializer.SerializeToUtf8Bytes(keys, Json));
    }

    public IReadOnlyList<SignedKeyRotation> KeyRotations()
    {
        var path = Path.Combine(Folder, RotationsFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<List<SignedKeyRotation>>(File.ReadAllBytes(path), Json) ?? [] : [];
    }

    public void SaveKeyRotations(IReadOnlyList<SignedKeyRotation> rotations)
    {
        Directory.CreateDirectory(Folder);
        SecureFiles.WriteAllBytes(Path.Combine(Folder, RotationsFile), JsonSerializer.SerializeToUtf8Bytes(rotations, Json));
    }

    public bool Add(string packagePath, StoredRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        Directory.CreateDirectory(Folder);
        var name = NameOf(release.Manifest.Version, release.Manifest.Architecture);
        var target = Path.Combine(Folder, name + ".release");
        // Copied under a temporary name of its own and renamed, so a package is either whole or absent.
        var partial = $"{target}.{Guid.NewGuid():N}.partial";
        try
        {
            File.Copy(packagePath, partial);
            File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(partial, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            return false;
        }
        finally
        {
            File.Delete(partial);
        }

        SecureFiles.WriteAllBytes(Path.Combine(Folder, name + ".json"), JsonSerializer.SerializeToUtf8Bytes(release, Json));
        return true;
    }

    public IReadOnlyList<StoredRelease> List() =>
        Directory.Exists(Folder)
            ? [.. Directory.EnumerateFiles(Folder, "*.json")
                .Where(f => Path.GetFileName(f) != "trusted-keys.json" && File.Exists(Path.ChangeExtension(f, ".release")))
                .Select(f => JsonSerializer.Deserialize<StoredRelease>(File.ReadAllBytes(f), Json)!)]
            : [];

    public string? PackagePath(string version, string architecture)
    {
        var name = NameOf(version, architecture);
        var path = Path.Combine(Folder, name + ".release");
        return Path.GetFileName(name) == name && File.Exists(path) ? path : null;
    }

    private static string NameOf(string version, string architecture) => $"{version}-{architecture}";
}
