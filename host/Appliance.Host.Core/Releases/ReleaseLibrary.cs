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

    /// <summary>The signed release key rotations accepted, in order.</summary>
    IReadOnlyList<SignedKeyRotation> KeyRotations();

    void SaveKeyRotations(IReadOnlyList<SignedKeyRotation> rotations);

    /// <summary>Copies an accepted package in, with its record; false, and nothing replaced, if that version and architecture is there already (another instance imported it a moment before).</summary>
    bool Add(string packagePath, StoredRelease release);

    IReadOnlyList<StoredRelease> List();

    /// <summary>The kept package of that version and architecture, or null.</summary>
    string? PackagePath(string version, string architecture);
}

/// <summary>
/// The host's releases: the release keys it trusts, and packages imported only after they verify
/// against them. The release key itself never comes here: it signs offline. The first keys are
/// trusted by an admin (key set 0); after that the set changes only by a rotation the release keys
/// themselves sign, which the host keeps and passes on to the appliances in every update order.
/// Every change and every refusal is audited.
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

        if (store.KeyRotations().Count > 0)
        {
            // Appliances follow the signed rotations; a key trusted beside them would reach new bundles only.
            throw new InvalidOperationException("the release keys have been rotated: a key is added by a rotation the trusted keys sign (release rotate), not trusted by hand");
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
        var check = ReleaseVerifier.Verify(packagePath, CurrentKeys().Trust, target: null);
        if (!check.Accepted)
        {
            audit.Append(AuditKinds.ReleaseRefused, actor, Path.GetFileName(packagePath), $"{check.Refusal}: {check.Reason}");
            return check;
        }

        var manifest = check.Manifest!;
        if (store.List().Any(r => r.Manifest.Version == manifest.Version && r.Manifest.Architecture == manifest.Architecture)
            || !store.Add(packagePath, new StoredRelease(manifest, time.GetUtcNow(), actor)))
        {
            var duplicate = ReleaseCheck.Refused(ReleaseRefusal.InvalidManifest, $"{manifest.Version} for {manifest.Architecture} is already imported", manifest);
            audit.Append(AuditKinds.ReleaseRefused, actor, Path.GetFileName(packagePath), $"{duplicate.Refusal}: {duplicate.Reason}");
            return duplicate;
        }

        audit.Append(AuditKinds.ReleaseImported, actor, $"{manifest.Version}/{manifest.Architecture}", $"floor {manifest.SecurityFloor}, {manifest.PayloadSize} bytes, sha256 {manifest.PayloadSha256}, key {manifest.KeyId}");
        return check;
    }

    public IReadOnlyList<StoredRelease> List() => [.. store.List().OrderBy(r => r.Manifest.ParsedVersion).ThenBy(r => r.Manifest.Architecture, StringComparer.Ordinal)];

    /// <summary>
    /// Accepts a signed rotation if the keys in force sign it (to their threshold) and it follows
    /// them; the key set it leads to, or why it is refused. Either way audited.
    /// </summary>
    public (ReleaseKeySet? Set, string? Refusal) ImportRotation(SignedKeyRotation rotation, string actor)
    {
        var current = CurrentKeys();
        var (next, refusal) = ReleaseKeyRotations.Check(current, rotation);
        if (next is null)
        {
            audit.Append(AuditKinds.ReleaseRotationRefused, actor, $"key set {current.Sequence}", refusal!);
            return (null, refusal);
        }

        store.SaveKeyRotations([.. store.KeyRotations(), rotation]);
        audit.Append(AuditKinds.ReleaseKeysRotated, actor, $"key set {next.Sequence}", $"trusted now: {string.Join(", ", next.KeyIds)}; threshold {next.Threshold}; replaced: {string.Join(", ", current.KeyIds)}");
        return (next, null);
    }

    /// <summary>The release keys in force: those trusted by hand, carried forward by the rotations accepted since.</summary>
    public ReleaseKeySet CurrentKeys()
    {
        var anchors = new ReleaseKeySet(0, [.. store.TrustedKeys().Select(k => Convert.FromBase64String(k.PublicKey))], 1);
        var (set, _, refusal) = ReleaseKeyRotations.Apply(anchors, store.KeyRotations());
        // Each was checked on import: one that fails now means the host's files were changed.
        return refusal is null ? set : throw new InvalidOperationException($"the host's kept release key rotations no longer verify ({refusal}): restore releases/key-rotations.json from a backup");
    }

    /// <summary>The rotations appliances need to reach the keys in force from the ones they were enrolled with.</summary>
    public IReadOnlyList<SignedKeyRotation> KeyRotations() => store.KeyRotations();

    public IReadOnlyList<TrustedReleaseKey> TrustedKeys() => store.TrustedKeys();
}
