namespace Appliance.Protocol;

/// <summary>
/// Everything one appliance needs to join its host, written by the host's <c>provision</c>
/// command (sealed in an <see cref="EnrolmentPackage"/> under a one-time code) and loaded by
/// the firmware. It holds the device's TLS and signing keys and its store secret, so it is
/// written readable by its owner only. <c>AlternateBrokers</c> (<c>host:port</c>) are tried in
/// turn when the broker before them cannot be reached; <c>Settings</c> are configuration keys
/// the admin sets centrally for this appliance (its pin map, camera, capture and lease
/// settings), below anything configured on the appliance itself. <c>ReleaseKeys</c> are the
/// release public keys (base64 Ed25519) the appliance will trust firmware releases from: key set
/// <c>ReleaseKeySequence</c> (0 before any rotation), of which <c>ReleaseKeyThreshold</c> must sign
/// a rotation away from it.
/// </summary>
public sealed record ProvisioningBundle(
    int Version,
    string DeviceId,
    string CertificatePem,
    string PrivateKeyPem,
    string CaCertificatePem,
    string HostSealingPublicKey,
    string BrokerHost,
    int BrokerPort,
    string StoreSecret,
    string SigningPrivateKey,
    string HostSigningPublicKey,
    string[]? AlternateBrokers = null,
    Dictionary<string, string>? Settings = null,
    string[]? ReleaseKeys = null,
    int ReleaseKeySequence = 0,
    int ReleaseKeyThreshold = 1)
{
    /// <summary>The configuration sections a bundle may set; never the data folder, the integrity checks or the store.</summary>
    public static readonly IReadOnlyList<string> SettableSections = ["Gpio", "Rings", "Devices", "Rpicam", "V4l2", "Capture", "Overview", "Screen", "Quality", "Uplink", "Lease"];

    /// <summary>2 added the device's Ed25519 signing key and the host's receipt-signing key; a version 1 bundle must be provisioned again.</summary>
    public const int CurrentVersion = 2;

    public string? Validate() =>
        Version != CurrentVersion ? $"bundle version {Version} is not {CurrentVersion}"
        : !Protocol.DeviceId.IsValid(DeviceId) ? "deviceId is not a valid device id"
        : string.IsNullOrWhiteSpace(CertificatePem) || string.IsNullOrWhiteSpace(PrivateKeyPem) ? "device certificate or key missing"
        : string.IsNullOrWhiteSpace(CaCertificatePem) ? "CA certificate missing"
        : string.IsNullOrWhiteSpace(BrokerHost) || BrokerPort is <= 0 or > 65535 ? "broker address missing"
        : string.IsNullOrWhiteSpace(HostSealingPublicKey) ? "host sealing key missing"
        : string.IsNullOrWhiteSpace(StoreSecret) ? "store secret missing"
        : string.IsNullOrWhiteSpace(SigningPrivateKey) ? "signing key missing"
        : string.IsNullOrWhiteSpace(HostSigningPublicKey) ? "host signing key missing"
        : AlternateBrokers?.FirstOrDefault(b => !TryParseBroker(b, out _, out _)) is { } bad ? $"alternate broker '{bad}' is not host:port"
        : Settings?.Keys.FirstOrDefault(k => !IsSettable(k)) is { } key ? $"setting '{key}' is not one a bundle may set ({string.Join(", ", SettableSections)})"
        : ReleaseKeys?.Any(k => !IsPublicKey(k)) == true ? "a release key is not a base64 Ed25519 public key"
        : ReleaseKeySequence < 0 || ReleaseKeyThreshold < 1 || ReleaseKeyThreshold > Math.Max(1, ReleaseKeys?.Length ?? 0) ? "the release key set's sequence or threshold is out of range"
        : null;

    /// <summary>The release keys this appliance was enrolled with: the anchors any rotation must start from.</summary>
    public Releases.ReleaseKeySet ReleaseAnchors() =>
        new(ReleaseKeySequence, [.. (ReleaseKeys ?? []).Select(Convert.FromBase64String)], ReleaseKeyThreshold);

    private static bool IsPublicKey(string? value)
    {
        var buffer = new byte[33];
        return value is not null && Convert.TryFromBase64String(value, buffer, out var length) && length == 32;
    }

    /// <summary>A configuration key under one of <see cref="SettableSections"/>.</summary>
    public static bool IsSettable(string key) =>
        key.Split(':') is [var section, _, ..] && SettableSections.Contains(section, StringComparer.OrdinalIgnoreCase) && key.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '_');

    /// <summary>Splits <c>host:port</c> (the host may be an IPv6 address in brackets).</summary>
    public static bool TryParseBroker(string? value, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = value?.LastIndexOf(':') ?? -1;
        if (value is null || colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is <= 0 or > 65535)
        {
            return false;
        }

        host = value[..colon].Trim('[', ']');
        return host.Length > 0 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':');
    }
}
