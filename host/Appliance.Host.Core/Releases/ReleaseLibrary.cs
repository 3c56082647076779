using Appliance.Host.Core.Audit;
using Appliance.Protocol.Releases;

namespace Appliance.Host.Core.Releases;

/// <summary>A release public key the host trusts (and will put in bundles as an appliance's trust anchor).</summary>
public sealed record TrustedReleaseKey(string KeyId, string PublicKey, DateTimeOffset AddedAt, string AddedBy);

/// <summary>A release the host accepted: its signed manifest, and when and by whom it was imported.</summary>
public sealed record StoredRelease(ReleaseManifest Manifest, DateTimeOffset ImportedAt, string ImportedBy);

/// <summary>Where the trusted release keys and the accepted packages are kept.</summary>
public interface IReleaseStore
{
    IReadOnlyList<TrustedReleaseKey> TrustedKeys();

    void SaveTrustedKeys(IReadOnlyList<TrustedReleaseKey> keys);

    /// <summary>Copies an accepted package in, with its record; replaces nothing already there.</summary>
    void Add(string packagePath, StoredRelease release);

    IReadOnlyList<StoredRelease> List();

    /// <summary>The kept package of that version and architecture, or null.</summary>
    string? PackagePath(string version, string architecture);
}

/// <summary>
/// The host's releases: the release keys it trusts, and packages imported only after they verify
/// against them. The release key itself never comes here: it signs offline. Every change and
/// every refusal is audited.
/// </summary>
public sealed class ReleaseLibrary(IReleaseStore store, IAuditTrail audit, TimeProvider time)
{
    public TrustedReleaseKey Trust(byte[] publicKey, string actor)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (publicKey.Length != 32)
        {
            throw new ArgumentException("a release public key is 32 bytes (Ed25519)", nameof(publicKey));
        }

        var keyId = ReleaseManifest.KeyIdOf(publicKey);
        var keys = store.TrustedKeys();
        if (keys.FirstOrDefault(k => k.KeyId == keyId) is { } known)
        {
            return known;
        }

        var added = new TrustedReleaseKey(keyId, Convert.ToBase64String(publicKey), time.GetUtcNow(), actor);
        store.SaveTrustedKeys([.. keys, added]);
        audit.Append(AuditKinds.ReleaseKeyTrusted, actor, keyId, "release key trusted");
        return added;
    }

    /// <summary>Verifies the package against the trusted keys and keeps it if it passes; the verdict either way.</summary>
    public ReleaseCheck Import(string packagePath, string actor)
    {
        var trust = new ReleaseTrust([.. store.TrustedKeys().Select(k => Convert.FromBase64String(k.PublicKey))]);
        var check = ReleaseVerifier.Verify(packagePath, trust, target: null);
        if (!check.Accepted)
        {
            audit.Append(AuditKinds.ReleaseRefused, actor, Path.GetFileName(packagePath), $"{check.Refusal}: {check.Reason}");
            return check;
        }

        var manifest = check.Manifest!;
        if (store.List().Any(r => r.Manifest.Version == manifest.Version && r.Manifest.Architecture == manifest.Architecture))
        {
            var duplicate = ReleaseCheck.Refused(ReleaseRefusal.InvalidManifest, $"{manifest.Version} for {manifest.Architecture} is already imported", manifest);
            audit.Append(AuditKinds.ReleaseRefused, actor, Path.GetFileName(packagePath), $"{duplicate.Refusal}: {duplicate.Reason}");
            return duplicate;
        }

        store.Add(packagePath, new StoredRelease(manifest, time.GetUtcNow(), actor));
        audit.Append(AuditKinds.ReleaseImported, actor, $"{manifest.Version}/{manifest.Architecture}", $"floor {manifest.SecurityFloor}, {manifest.PayloadSize} bytes, sha256 {manifest.PayloadSha256}, key {manifest.KeyId}");
        return check;
    }

    public IReadOnlyList<StoredRelease> List() => [.. store.List().OrderBy(r => r.Manifest.ParsedVersion).ThenBy(r => r.Manifest.Architecture, StringComparer.Ordinal)];

    public IReadOnlyList<TrustedReleaseKey> TrustedKeys() => store.TrustedKeys();
}
