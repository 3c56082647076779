using System.Collections.Concurrent;
using System.Data;
using System.Security.Cryptography;
using Appliance.Host.Core.Releases;
using Appliance.Host.Infrastructure;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// The trusted release keys, the signed rotations and the accepted packages in the database, so a
/// release imported through any instance is served by all: an appliance's fetch may land on
/// another instance than the one that ordered its update. The keys and rotations are documents
/// in <c>release_documents</c>; each package is kept whole in <c>release_packages</c> with its
/// SHA-256, and an instance serves it from a local copy (<c>release-cache/</c> in its data folder)
/// made from the database the first time it is asked for and checked against that digest, once
/// per process, so a copy changed or cut short on disk is made again.
/// </summary>
public sealed class PostgreSqlReleaseStore(NpgsqlDataSource database, IOptions<HostDataOptions> options) : IReleaseStore
{
    private const string TrustedKeysDocument = "trusted-keys";
    private const string RotationsDocument = "key-rotations";
    private readonly ConcurrentDictionary<string, string> _checked = new(StringComparer.Ordinal);

    public IReadOnlyList<TrustedReleaseKey> TrustedKeys() => Document<List<TrustedReleaseKey>>(TrustedKeysDocument) ?? [];

    public void SaveTrustedKeys(IReadOnlyList<TrustedReleaseKey> keys) => SaveDocument(TrustedKeysDocument, keys);

    public IReadOnlyList<SignedKeyRotation> KeyRotations() => Document<List<SignedKeyRotation>>(RotationsDocument) ?? [];

    public void SaveKeyRotations(IReadOnlyList<SignedKeyRotation> rotations) => SaveDocument(RotationsDocument, rotations);

    public bool Add(string packagePath, StoredRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var digest = Sha256Of(packagePath);
        using var package = File.OpenRead(packagePath);
        using var insert = Sql.Command(database, """
            INSERT INTO release_packages (version, architecture, record, package_sha256, package) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (version, architecture) DO NOTHING
            """,
            release.Manifest.Version, release.Manifest.Architecture, Sql.Body(release), digest, new NpgsqlParameter { Value = package, NpgsqlDbType = NpgsqlDbType.Bytea });
        return insert.ExecuteNonQuery() == 1;
    }

    public IReadOnlyList<StoredRelease> List()
    {
        using var command = Sql.Command(database, "SELECT record FROM release_packages ORDER BY version COLLATE \"C\", architecture COLLATE \"C\"");
        return Sql.Bodies<StoredRelease>(command);
    }

    public string? PackagePath(string version, string architecture)
    {
        var name = $"{version}-{architecture}";
        if (Path.GetFileName(name) != name)
        {
            return null;
        }

        if (_checked.TryGetValue(name, out var known) && File.Exists(known))
        {
            return known;
        }

        using var connection = database.OpenConnection();
        string? digest;
        using (var find = Sql.Command(connection, null, "SELECT package_sha256 FROM release_packages WHERE version = $1 AND architecture = $2", version, architecture))
        {
            digest = find.ExecuteScalar() as string;
        }

        if (digest is null)
        {
            return null;
        }

        var path = options.Value.Resolve("release-cache", name + ".release");
        if (!File.Exists(path) || Sha256Of(path) != digest)
        {
            CopyFromDatabase(connection, version, architecture, digest, path);
        }

        _checked[name] = path;
        return path;
    }

    /// <summary>Streams the package to a file of its own, checks it, and renames it into place: a copy is whole and right, or absent.</summary>
    private static void CopyFromDatabase(NpgsqlConnection connection, string version, string architecture, string digest, string path)
    {
        OwnerOnlyFiles.CreateFolder(Path.GetDirectoryName(path)!);
        var partial = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            using (var fetch = Sql.Command(connection, null, "SELECT package FROM release_packages WHERE version = $1 AND architecture = $2", version, architecture))
            using (var reader = fetch.ExecuteReader(CommandBehavior.SequentialAccess))
            using (var target = new FileStream(partial, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                if (!reader.Read())
                {
                    throw new InvalidOperationException($"release {version} for {architecture} left the database while it was copied");
                }

                using var source = reader.GetStream(0);
                source.CopyTo(target);
                target.Flush(flushToDisk: true);
            }

            if (Sha256Of(partial) != digest)
            {
                throw new CryptographicException($"release {version} for {architecture} in the database does not match the digest kept with it");
            }

            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private T? Document<T>(string name) where T : class
    {
        using var command = Sql.Command(database, "SELECT body FROM release_documents WHERE name = $1", name);
        return Sql.Bodies<T>(command).SingleOrDefault();
    }

    private void SaveDocument<T>(string name, T body)
    {
        using var command = Sql.Command(database, "INSERT INTO release_documents (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body", name, Sql.Body(body));
        command.ExecuteNonQuery();
    }

    private static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
