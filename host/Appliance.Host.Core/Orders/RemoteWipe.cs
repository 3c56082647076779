using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Appliance.Host.Core.Orders;

/// <summary>Where a remote wipe stands, as the admin page shows it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WipeState>))]
public enum WipeState
{
    /// <summary>Signed and published (retained) for the appliance; it has not answered yet.</summary>
    Issued,

    /// <summary>The appliance accepted the order and is wiping.</summary>
    Delivered,

    /// <summary>The appliance's signed report arrived and checked; its certificates are revoked.</summary>
    Confirmed,
}

/// <summary>One remote wipe as the host keeps it. The order itself is signed afresh each time it is sent.</summary>
public sealed record WipeRecord(
    string OrderId,
    string DeviceId,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    WipeState State,
    long Counter,
    DateTimeOffset ExpiresAt,
    int Sends,
    DateTimeOffset? DeliveredAt = null,
    DateTimeOffset? ConfirmedAt = null,
    int? UnsentSeriesLost = null,
    int? CertificatesRevoked = null);

/// <summary>
/// The host's memory of its orders: one counter per device that only rises, and the wipe
/// records. Shared by every host instance on the data folder.
/// </summary>
public interface IDeviceOrderLedger
{
    /// <summary>
    /// The next counter for the device: above every one issued before, and never below the
    /// current time in microseconds, so that a host restored from an older backup still issues
    /// counters the appliance accepts.
    /// </summary>
    long NextCounter(string deviceId, DateTimeOffset now);

    WipeRecord? FindWipe(string deviceId);

    void SaveWipe(WipeRecord record);

    IReadOnlyList<WipeRecord> Wipes();

    /// <summary>Sets the device's wipe record aside (kept on disk, no longer current): it is being put back in service.</summary>
    void ArchiveWipe(string deviceId);
}

/// <summary>Section <c>Orders</c>: how long signed orders live and how often leases are renewed.</summary>
public sealed class OrderOptions
{
    public const string Section = "Orders";

    /// <summary>
    /// How long one signed wipe order may be obeyed. Short on purpose: an appliance that comes
    /// back later is sent a freshly signed one the moment it reports, so the wipe still lands.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "30.00:00:00")]
    public TimeSpan WipeOrderLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often a connected appliance's lease is renewed (and at every connection).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan LeaseRenewEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the ledger is looked at for wipes requested from the command line.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a lease renewal may be obeyed after signing.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan LeaseOrderLifetime { get; set; } = TimeSpan.FromMinutes(10);
}
