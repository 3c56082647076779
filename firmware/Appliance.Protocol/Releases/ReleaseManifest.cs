using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace Appliance.Protocol.Releases;

/// <summary>
/// What a firmware release says about itself, signed with the release key (never the host's
/// keys): its version, the security floor it raises the appliance to once it is confirmed
/// healthy, the architecture and models it is for, the payload's size and SHA-256, when its
/// support ends, the store format it writes, and notes for the admin.
/// </summary>
public sealed record ReleaseManifest(
    int Format,
    string Version,
    int SecurityFloor,
    string Architecture,
    string[] Models,
    long PayloadSize,
    string PayloadSha256,
    DateOnly SupportEnds,
    int StoreFormat,
    string Notes,
    string KeyId)
{
    public const int CurrentFormat = 1;

    /// <summary>The version as numbers, for ordering: major.minor.patch.</summary>
    [JsonIgnore]
    public Version ParsedVersion => System.Version.Parse(Version);

    /// <summary>Why the manifest cannot describe a release, or null.</summary>
    public string? Validate() =>
        Format != CurrentFormat ? $"manifest format {Format} is not {CurrentFormat}"
        : !System.Version.TryParse(Version, out var parsed) || parsed.Build < 0 || parsed.Revision >= 0 ? $"version '{Version}' is not major.minor.patch"
        : SecurityFloor < 0 ? "the security floor is negative"
        : string.IsNullOrWhiteSpace(Architecture) ? "no architecture"
        : Models is null || Models.Length == 0 || Models.Any(string.IsNullOrWhiteSpace) ? "no models"
        : PayloadSize <= 0 ? "no payload"
        : PayloadSha256 is not { Length: 64 } || !PayloadSha256.All(char.IsAsciiHexDigitLower) ? "the payload digest is not a lower-case SHA-256"
        : StoreFormat <= 0 ? "no store format"
        : string.IsNullOrWhiteSpace(KeyId) ? "no key id"
        : null;

    /// <summary>A release public key's short name: the first 8 bytes of its SHA-256, in hex.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey)[..8]);
}
