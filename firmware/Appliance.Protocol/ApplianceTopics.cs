using System.Text.RegularExpressions;

namespace Appliance.Protocol;

/// <summary>
/// Every MQTT topic in the system. Each device owns the subtree
/// <c>appliance/v2/{deviceId}/…</c>; the broker's access control is written against these shapes.
/// The protocol's version is in the topic, so a device and a host of different versions never
/// read each other's messages: the broker refuses them with <see cref="OtherVersionRefusal"/>.
/// </summary>
public static partial class ApplianceTopics
{
    /// <summary>2: each id in a status has its own field (series, calibration run, profile).</summary>
    public const int Version = 2;

    public const string Root = "appliance/v2";

    /// <summary>Device → host: the offer that starts (or resumes) the transfer of one sealed series.</summary>
    public const string UploadKind = "upload";

    /// <summary>
    /// Device → host: chunks and the end of a transfer, on <c>…/transfer/{receiver}</c>, addressed
    /// to the host instance that answered the offer so that every chunk of a series lands in one place.
    /// </summary>
    public const string TransferKind = "transfer";

    /// <summary>Device → host: state changes (armed, accepted, retake, fault) and heartbeat.</summary>
    public const string StatusKind = "status";

    /// <summary>Host → device: capture jobs.</summary>
    public const string CommandKind = "command";

    /// <summary>
    /// Host → device: a signed wipe order, published retained so that an appliance offline today
    /// finds it the moment it subscribes, whether or not its session survived.
    /// </summary>
    public const string WipeKind = "wipe";

    /// <summary>Host → device: signed lease renewals (the host is still there; see the dead-man lease).</summary>
    public const string LeaseKind = "lease";

    /// <summary>Device → host: the signed report of a wipe the appliance carried out.</summary>
    public const string WipedKind = "wiped";

    /// <summary>Device → host: the appliance's signed calibration profile, at every connection and after every calibration.</summary>
    public const string CalibrationKind = "calibration";

    /// <summary>Host → device: where a transfer stands (which chunks are missing, or filed).</summary>
    public const string ProgressKind = "progress";

    /// <summary>Host → device: filed receipts.</summary>
    public const string ReceiptKind = "receipt";

    /// <summary>Host → device: chunks of a firmware release package an update order named, as transfer frames.</summary>
    public const string PackageKind = "package";

    /// <summary>Device → host: which chunks of an update order's package to send next.</summary>
    public const string FetchKind = "fetch";

    /// <summary>Device → host: where an update stands (downloading, refused, installed, healthy, rolled back).</summary>
    public const string UpdateKind = "update";

    /// <summary>Single-level topics a device publishes to (besides its own <c>transfer/{receiver}</c>).</summary>
    public static IReadOnlyList<string> DevicePublishKinds { get; } = [UploadKind, StatusKind, WipedKind, CalibrationKind, FetchKind, UpdateKind];

    /// <summary>Topics a device subscribes to, each its own exact topic.</summary>
    public static IReadOnlyList<string> DeviceSubscribeKinds { get; } = [CommandKind, ProgressKind, ReceiptKind, WipeKind, LeaseKind, PackageKind];

    /// <summary>
    /// Topics a host instance subscribes to. Offers and status may be spread over several host
    /// instances with an MQTT 5 shared subscription (<paramref name="shareGroup"/>); the transfer
    /// topic is per instance and never shared.
    /// </summary>
    public static IReadOnlyList<string> HostSubscriptions(string receiver, string? shareGroup = null)
    {
        var shared = string.IsNullOrEmpty(shareGroup) ? string.Empty : $"$share/{shareGroup}/";
        return
        [
            $"{shared}{Root}/+/{UploadKind}",
            $"{shared}{Root}/+/{StatusKind}",
            $"{shared}{Root}/+/{WipedKind}",
            $"{shared}{Root}/+/{CalibrationKind}",
            $"{shared}{Root}/+/{FetchKind}",
            $"{shared}{Root}/+/{UpdateKind}",
            $"{Root}/+/{TransferKind}/{receiver}",
        ];
    }

    /// <summary>The device's single-level topic of <paramref name="kind"/>.</summary>
    public static string For(string deviceId, string kind) => Build(deviceId, kind);

    public static string Upload(string deviceId) => Build(deviceId, UploadKind);
    public static string Status(string deviceId) => Build(deviceId, StatusKind);
    public static string Command(string deviceId) => Build(deviceId, CommandKind);
    public static string Progress(string deviceId) => Build(deviceId, ProgressKind);
    public static string Receipt(string deviceId) => Build(deviceId, ReceiptKind);
    public static string Wipe(string deviceId) => Build(deviceId, WipeKind);
    public static string Lease(string deviceId) => Build(deviceId, LeaseKind);
    public static string Wiped(string deviceId) => Build(deviceId, WipedKind);
    public static string Calibration(string deviceId) => Build(deviceId, CalibrationKind);
    public static string Package(string deviceId) => Build(deviceId, PackageKind);
    public static string Fetch(string deviceId) => Build(deviceId, FetchKind);
    public static string Update(string deviceId) => Build(deviceId, UpdateKind);

    public static string Transfer(string deviceId, string receiver)
    {
        if (!DeviceId.IsValid(receiver))
        {
            throw new ArgumentException("A receiver (host instance id) has the shape of a device id.", nameof(receiver));
        }

        return $"{Build(deviceId, TransferKind)}/{receiver}";
    }

    /// <summary>Topics a device may publish to.</summary>
    public static bool IsDevicePublishable(string kind) => kind == TransferKind || DevicePublishKinds.Contains(kind);

    /// <summary>Topics a device may subscribe to.</summary>
    public static bool IsDeviceSubscribable(string kind) => DeviceSubscribeKinds.Contains(kind);

    /// <summary>Splits <c>appliance/v2/{deviceId}/{kind}</c>; false for anything else (transfer topics included).</summary>
    public static bool TryParse(string topic, out string deviceId, out string kind) =>
        TryParse(topic, out deviceId, out kind, out var receiver) && receiver is null;

    /// <summary>
    /// Splits <c>appliance/v2/{deviceId}/{kind}</c> and <c>appliance/v2/{deviceId}/transfer/{receiver}</c>;
    /// false for anything else, wildcards included.
    /// </summary>
    public static bool TryParse(string topic, out string deviceId, out string kind, out string? receiver)
    {
        deviceId = kind = string.Empty;
        receiver = null;
        if (topic is null || !topic.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = topic[(Root.Length + 1)..].Split('/');
        if (parts.Length is < 2 or > 3 || !DeviceId.IsValid(parts[0]))
        {
            return false;
        }

        var k = parts[1];
        if (parts.Length == 3)
        {
            if (k != TransferKind || !DeviceId.IsValid(parts[2]))
            {
                return false;
            }

            receiver = parts[2];
        }
        else if (!DevicePublishKinds.Contains(k) && !DeviceSubscribeKinds.Contains(k))
        {
            return false;
        }

        deviceId = parts[0];
        kind = k;
        return true;
    }

    /// <summary>
    /// For a topic of another version of this protocol (<c>appliance/v{n}/…</c>), why it is
    /// refused and which side to update; null for any other topic.
    /// </summary>
    public static string? OtherVersionRefusal(string topic)
    {
        var match = topic is null ? null : VersionedTopic().Match(topic);
        if (match is null || !match.Success || !int.TryParse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture, out var version) || version == Version)
        {
            return null;
        }

        return version < Version
            ? $"{topic} is protocol version {version}; this host speaks version {Version}: update the appliance's firmware"
            : $"{topic} is protocol version {version}; this host speaks version {Version}: update the host";
    }

    [GeneratedRegex(@"^appliance/v([0-9]{1,4})/", RegexOptions.CultureInvariant)]
    private static partial Regex VersionedTopic();

    private static string Build(string deviceId, string kind)
    {
        DeviceId.EnsureValid(deviceId);
        return $"{Root}/{deviceId}/{kind}";
    }
}

/// <summary>Device identifiers: also the certificate CN and the MQTT client id.</summary>
public static partial class DeviceId
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{2,62}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    public static void EnsureValid(string value)
    {
        if (!IsValid(value))
        {
            throw new ArgumentException(
                "A device id is 3–63 characters of lower-case letters, digits and '-', starting with a letter or digit.",
                nameof(value));
        }
    }
}
