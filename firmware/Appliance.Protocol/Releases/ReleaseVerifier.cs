using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Protocol.Releases;

/// <summary>Why a release package is refused.</summary>
public enum ReleaseRefusal
{
    /// <summary>Not a release package, or cut short: an entry missing, out of order or truncated.</summary>
    Unreadable,

    /// <summary>No signature.</summary>
    NoSignature,

    /// <summary>Signed by a key that is not one of the trust anchors.</summary>
    UnknownKey,

    /// <summary>The signature does not verify: the manifest was altered, or the signature forged.</summary>
    BadSignature,

    /// <summary>Signed, but the manifest cannot describe a release.</summary>
    InvalidManifest,

    /// <summary>The payload is not the one the signed manifest describes (size or SHA-256).</summary>
    Tampered,

    WrongArchitecture,

    WrongModel,

    /// <summary>A correctly signed release older than the appliance's security floor: a downgrade.</summary>
    BelowFloor,

    /// <summary>A release that writes an older store format than the appliance's store is in: it could not read the queued series.</summary>
    OlderStoreFormat,
}

/// <summary>The release keys a package must be signed with (the bundle's trust anchors, or the host's).</summary>
public sealed record ReleaseTrust(IReadOnlyList<byte[]> PublicKeys)
{
    public byte[]? Find(string keyId) => PublicKeys.FirstOrDefault(k => ReleaseManifest.KeyIdOf(k) == keyId);
}

/// <summary>
/// The appliance a release is checked for: its architecture and model, the floor it has confirmed,
/// and the format its store is in (0: not known, not checked).
/// </summary>
public sealed record ReleaseTarget(string Architecture, string Model, int SecurityFloor, int StoreFormat = 0);

/// <summary>A package's verdict: its manifest when accepted, why not otherwise.</summary>
public sealed record ReleaseCheck(ReleaseManifest? Manifest, ReleaseRefusal? Refusal, string Reason)
{
    public bool Accepted => Refusal is null;

    public static ReleaseCheck Refused(ReleaseRefusal refusal, string reason, ReleaseManifest? manifest = null) => new(manifest, refusal, reason);
}

/// <summary>
/// Checks a release package, in the order that lets nothing unverified be used: the entries'
/// order, the signature over the manifest's exact bytes by a trusted key, the manifest, the
/// target (architecture, model, security floor), then the payload's size and digest as it is
/// read. Nothing is unpacked here; the caller unpacks only an accepted package.
/// </summary>
public static class ReleaseVerifier
{
    /// <summary>The largest manifest or signature read into memory; a package announcing more is not one.</summary>
    private const int MaxSmallEntry = 64 * 1024;

    public static ReleaseCheck Verify(Stream package, ReleaseTrust trust, ReleaseTarget? target)
    {
        ArgumentNullException.ThrowIfNull(trust);
        try
        {
            using var reader = new TarReader(package, leaveOpen: true);
            var manifestEntry = reader.GetNextEntry();
            if (manifestEntry?.Name != ReleasePackage.ManifestEntry || ReadSmall(manifestEntry) is not { } manifestJson)
            {
                return ReleaseCheck.Refused(ReleaseRefusal.Unreadable, $"not a release package: the first entry is not {ReleasePackage.ManifestEntry}");
            }

            var signatureEntry = reader.GetNextEntry();
            if (signatureEntry?.Name != ReleasePackage.SignatureEntry || ReadSmall(signatureEntry) is not { Length: > 0 } signatureBytes)
            {
                return ReleaseCheck.Refused(ReleaseRefusal.NoSignature, "the package carries no signature");
            }

            // The signature is checked over the manifest's raw bytes against each trusted key
            // before anything in the manifest is believed; its key id only names the key in a refusal.
            var signature = Encoding.ASCII.GetString(signatureBytes).Trim();
            var statement = ReleasePackage.Statement(manifestJson);
            var key = trust.PublicKeys.FirstOrDefault(k => SeriesSigning.VerifyBytes(k, statement, signature));
            var parsed = ProtocolJson.TryDeserialize<ReleaseManifest>(manifestJson, out var manifest, out var unreadable);
            if (key is null)
            {
                var keyId = parsed ? manifest!.KeyId : null;
                return keyId is not null && trust.Find(keyId) is null
                    ? ReleaseCheck.Refused(ReleaseRefusal.UnknownKey, $"signed with key {keyId}, which is not a trusted release key")
                    : ReleaseCheck.Refused(ReleaseRefusal.BadSignature, "the signature does not verify with any trusted release key: the manifest was altered or the signature forged");
            }

            if (!parsed || manifest!.KeyId != ReleaseManifest.KeyIdOf(key))
            {
                return ReleaseCheck.Refused(ReleaseRefusal.InvalidManifest, parsed ? $"the manifest names key {manifest!.KeyId}, not the key that signed it" : $"the signed manifest does not read: {unreadable}");
            }

            if (manifest.Validate() is { } invalid)
            {
                return ReleaseCheck.Refused(ReleaseRefusal.InvalidManifest, invalid, manifest);
            }

            if (Target(manifest, target) is { } refused)
            {
                return refused;
            }

            var payload = reader.GetNextEntry();
            if (payload?.Name != ReleasePackage.PayloadEntry || payload.DataStream is null)
            {
                return ReleaseCheck.Refused(ReleaseRefusal.Unreadable, $"the package has no {ReleasePackage.PayloadEntry} after its signature", manifest);
            }

            var (size, digest) = Digest(payload.DataStream);
            return size != manifest.PayloadSize || digest != manifest.PayloadSha256
                ? ReleaseCheck.Refused(ReleaseRefusal.Tampered, $"the payload is {size} bytes with SHA-256 {digest[..16]}…, not the {manifest.PayloadSize} bytes and {manifest.PayloadSha256[..16]}… the signed manifest names", manifest)
                : new ReleaseCheck(manifest, null, $"{manifest.Version} for {manifest.Architecture}, signed by release key {manifest.KeyId}");
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or IOException)
        {
            return ReleaseCheck.Refused(ReleaseRefusal.Unreadable, $"the package is cut short or not a release package: {ex.Message}");
        }
    }

    public static ReleaseCheck Verify(string packagePath, ReleaseTrust trust, ReleaseTarget? target)
    {
        using var file = File.OpenRead(packagePath);
        return Verify(file, trust, target);
    }

    private static ReleaseCheck? Target(ReleaseManifest manifest, ReleaseTarget? target) =>
        target is null ? null
        : manifest.Architecture != target.Architecture ? ReleaseCheck.Refused(ReleaseRefusal.WrongArchitecture, $"built for {manifest.Architecture}, this appliance is {target.Architecture}", manifest)
        : !manifest.Models.Contains(target.Model, StringComparer.Ordinal) ? ReleaseCheck.Refused(ReleaseRefusal.WrongModel, $"for {string.Join(", ", manifest.Models)}, not {target.Model}", manifest)
        : manifest.SecurityFloor < target.SecurityFloor ? ReleaseCheck.Refused(ReleaseRefusal.BelowFloor, $"{manifest.Version} is at security floor {manifest.SecurityFloor}, below this appliance's {target.SecurityFloor}: a downgrade", manifest)
        : manifest.StoreFormat < target.StoreFormat ? ReleaseCheck.Refused(ReleaseRefusal.OlderStoreFormat, $"{manifest.Version} writes store format {manifest.StoreFormat}, and this appliance's store is already format {target.StoreFormat}: it could not read the series queued here", manifest)
        : null;

    private static byte[]? ReadSmall(TarEntry entry)
    {
        if (entry.DataStream is null || entry.Length > MaxSmallEntry)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        entry.DataStream.CopyTo(buffer);
        return buffer.Length == entry.Length ? buffer.ToArray() : throw new EndOfStreamException($"{entry.Name} is cut short");
    }

    private static (long Size, string Sha256) Digest(Stream payload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = payload.Read(buffer)) > 0)
        {
            hash.AppendData(buffer.AsSpan(0, read));
            size += read;
        }

        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
