using System.Text.RegularExpressions;

namespace Appliance.Protocol;

/// <summary>
/// Every MQTT topic in the system. Each device owns the subtree
/// <c>appliance/v1/{deviceId}/…</c>; the broker's access control is written against these shapes.
/// </summary>
public static partial class ApplianceTopics
{
    public const string Root = "appliance/v1";

    /// <summary>Device → host: one sealed series (manifest and frames in one envelope).</summary>
    public const string SeriesKind = "series";

    /// <summary>Device → host: state changes (armed, accepted, retake, fault) and heartbeat.</summary>
    public const string StatusKind = "status";

    /// <summary>Host → device: capture jobs (and, later, wipe).</summary>
    public const string CommandKind = "command";

    /// <summary>Host → device: filed receipts.</summary>
    public const string ReceiptKind = "receipt";

    /// <summary>Topics the host's own client subscribes to (shared-subscription friendly).</summary>
    public static readonly IReadOnlyList<string> HostSubscriptions =
    [
        $"{Root}/+/{SeriesKind}",
        $"{Root}/+/{StatusKind}",
    ];

    public static string Series(string deviceId) => Build(deviceId, SeriesKind);
    public static string Status(string deviceId) => Build(deviceId, StatusKind);
    public static string Command(string deviceId) => Build(deviceId, CommandKind);
    public static string Receipt(string deviceId) => Build(deviceId, ReceiptKind);

    /// <summary>Topics a device may publish to.</summary>
    public static bool IsDevicePublishable(string kind) => kind is SeriesKind or StatusKind;

    /// <summary>Topics a device may subscribe to.</summary>
    public static bool IsDeviceSubscribable(string kind) => kind is CommandKind or ReceiptKind;

    /// <summary>Splits <c>appliance/v1/{deviceId}/{kind}</c>; false for anything else.</summary>
    public static bool TryParse(string topic, out string deviceId, out string kind)
    {
        deviceId = kind = string.Empty;
        if (!topic.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = topic.AsSpan(Root.Length + 1);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || rest[(slash + 1)..].Contains('/'))
        {
            return false;
        }

        var id = rest[..slash].ToString();
        var k = rest[(slash + 1)..].ToString();
        if (!DeviceId.IsValid(id) || k is not (SeriesKind or StatusKind or CommandKind or ReceiptKind))
        {
            return false;
        }

        deviceId = id;
        kind = k;
        return true;
    }

    private static string Build(string deviceId, string kind)
    {
        DeviceId.EnsureValid(deviceId);
        return $"{Root}/{deviceId}/{kind}";
    }
}

/// <summary>Device identifiers: also the certificate CN and the MQTT client id.</summary>
public static partial class DeviceId
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{2,62}$", RegexOptions.CultureInvariant)]
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
