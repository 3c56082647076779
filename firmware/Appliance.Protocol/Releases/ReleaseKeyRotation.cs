using System.Text;

namespace Appliance.Protocol.Releases;

/// <summary>
/// The release keys trusted now: any one of <see cref="Keys"/> signs a release package, and
/// <see cref="Threshold"/> of them must sign a rotation away from this set. <see cref="Sequence"/>
/// is 0 for the keys an appliance was enrolled with and rises by one with each rotation, so an
/// old rotation can never be played again.
/// </summary>
public sealed record ReleaseKeySet(int Sequence, IReadOnlyList<byte[]> Keys, int Threshold)
{
    public ReleaseTrust Trust => new(Keys);

    public IEnumerable<string> KeyIds => Keys.Select(k => ReleaseManifest.KeyIdOf(k));
}

/// <summary>
/// What a rotation says: from key set <see cref="Sequence"/> on, trust <see cref="Keys"/> (base64
/// Ed25519) and no other, and ask <see cref="Threshold"/> of their signatures for the next rotation.
/// </summary>
public sealed record ReleaseKeyRotation(int Format, int Sequence, string[] Keys, int Threshold, DateTimeOffset IssuedAt, string Notes)
{
    public const int CurrentFormat = 1;
    public const int MaxKeys = 8;

    public string? Validate()
    {
        if (Format != CurrentFormat)
        {
            return $"rotation format {Format} is not {CurrentFormat}";
        }

        if (Sequence < 1)
        {
            return "a rotation's sequence starts at 1";
        }

        if (Keys is null || Keys.Length is 0 or > MaxKeys)
        {
            return $"a rotation names 1–{MaxKeys} keys";
        }

        var decoded = Keys.Select(Decode).ToList();
        return decoded.Any(k => k is null) ? "a key is not a base64 Ed25519 public key"
            : decoded.Select(k => Convert.ToBase64String(k!)).Distinct(StringComparer.Ordinal).Count() != Keys.Length ? "a key is named twice"
            : Threshold < 1 || Threshold > Keys.Length ? $"threshold {Threshold} is not between 1 and the {Keys.Length} keys"
            : Notes is { Length: > 1024 } ? "notes longer than 1024 characters"
            : null;
    }

    public ReleaseKeySet KeySet() => new(Sequence, [.. Keys.Select(k => Decode(k)!)], Threshold);

    private static byte[]? Decode(string? value)
    {
        var buffer = new byte[33];
        return value is not null && Convert.TryFromBase64String(value, buffer, out var length) && length == 32 ? buffer[..32] : null;
    }
}

/// <summary>One key's Ed25519 signature over a rotation.</summary>
public sealed record ReleaseKeySignature(string KeyId, string Signature);

/// <summary>
/// A rotation as it is carried (a file from the offline machine, the host's store, an update
/// order): the rotation's exact JSON bytes in base64, so nothing on the way can re-serialise what
/// was signed, and the signatures over them.
/// </summary>
public sealed record SignedKeyRotation(string Rotation, ReleaseKeySignature[] Signatures);

/// <summary>
/// Signs and checks release key rotations. A rotation is accepted only when it follows the set in
/// force (its sequence one higher), is signed by the threshold of that set's keys, and by the
/// threshold of its own keys too: the holders of the new keys prove they hold them, so a typo or
/// a lost key cannot lock the fleet out of updates. Anything signed with the release keys here is
/// prefixed by its own domain, so a rotation signature never passes for a release's, or the reverse.
/// </summary>
public static class ReleaseKeyRotations
{
    private const int MaxRotationBytes = 16 * 1024;
    private const int MaxSignatures = 2 * ReleaseKeyRotation.MaxKeys;

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("appliance-suite/release-key-rotation/v1\n");

    /// <summary>Serialises <paramref name="rotation"/> and signs it with each private key given (old and new).</summary>
    public static SignedKeyRotation Sign(ReleaseKeyRotation rotation, IEnumerable<byte[]> privateKeys)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        if (rotation.Validate() is { } invalid)
        {
            throw new ArgumentException($"not a rotation: {invalid}", nameof(rotation));
        }

        var json = ProtocolJson.Serialize(rotation);
        var statement = Statement(json);
        return new SignedKeyRotation(
            Convert.ToBase64String(json),
            [.. privateKeys.Select(k => new ReleaseKeySignature(ReleaseManifest.KeyIdOf(SeriesSigning.PublicKeyOf(k)), SeriesSigning.SignBytes(k, statement)))]);
    }

    /// <summary>
    /// The key set <paramref name="link"/> leads to from <paramref name="current"/>, or why it is refused.
    /// </summary>
    public static (ReleaseKeySet? Next, string? Refusal) Check(ReleaseKeySet current, SignedKeyRotation link)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (link?.Rotation is null || link.Signatures is null || link.Signatures.Length > MaxSignatures)
        {
            return (null, "not a signed rotation");
        }

        var json = new byte[MaxRotationBytes];
        if (!Convert.TryFromBase64String(link.Rotation, json, out var length))
        {
            return (null, $"the rotation is not base64 of at most {MaxRotationBytes} bytes");
        }

        json = json[..length];
        if (!ProtocolJson.TryDeserialize<ReleaseKeyRotation>(json, out var rotation, out var unreadable))
        {
            return (null, $"the rotation does not read: {unreadable}");
        }

        if (rotation.Validate() is { } invalid)
        {
            return (null, invalid);
        }

        if (rotation.Sequence != current.Sequence + 1)
        {
            return (null, $"rotation {rotation.Sequence} does not follow key set {current.Sequence}");
        }

        var next = rotation.KeySet();
        var statement = Statement(json);
        var byCurrent = SignedBy(current.Keys, link.Signatures, statement);
        var byNext = SignedBy(next.Keys, link.Signatures, statement);
        return byCurrent < current.Threshold ? (null, $"signed by {byCurrent} of the trusted release keys, and it takes {current.Threshold}")
            : byNext < next.Threshold ? (null, $"signed by {byNext} of the new keys, and it takes {next.Threshold}: their holders must show they hold them")
            : (next, null);
    }

    /// <summary>
    /// Applies the rotations after <paramref name="anchors"/> in order (any already behind the set
    /// are passed over), stopping at the first refused. The set reached, the rotations applied, and
    /// the refusal if one was.
    /// </summary>
    public static (ReleaseKeySet Set, IReadOnlyList<SignedKeyRotation> Applied, string? Refusal) Apply(ReleaseKeySet anchors, IEnumerable<SignedKeyRotation> chain)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(chain);
        var set = anchors;
        var applied = new List<SignedKeyRotation>();
        foreach (var link in chain)
        {
            if (SequenceOf(link) is { } sequence && sequence <= set.Sequence)
            {
                continue;
            }

            var (next, refusal) = Check(set, link);
            if (next is null)
            {
                return (set, applied, $"key rotation {SequenceOf(link)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} refused: {refusal}");
            }

            set = next;
            applied.Add(link);
        }

        return (set, applied, null);
    }

    /// <summary>The sequence a rotation claims, unverified: only to pass over one already applied.</summary>
    public static int? SequenceOf(SignedKeyRotation link)
    {
        try
        {
            return link?.Rotation is { Length: <= MaxRotationBytes * 2 } text
                && ProtocolJson.TryDeserialize<ReleaseKeyRotation>(Convert.FromBase64String(text), out var rotation, out _) ? rotation.Sequence : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] Statement(ReadOnlySpan<byte> json) => [.. Domain, .. json];

    private static int SignedBy(IReadOnlyList<byte[]> keys, ReleaseKeySignature[] signatures, byte[] statement) =>
        keys.Count(key =>
        {
            var keyId = ReleaseManifest.KeyIdOf(key);
            return signatures.Any(s => s?.KeyId == keyId && SeriesSigning.VerifyBytes(key, statement, s.Signature));
        });
}
