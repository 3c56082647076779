using System.Text;
using System.Text.Json.Serialization;

namespace Appliance.Protocol;

/// <summary>
/// Host → device: an order the appliance acts on only if the host signed it. A wipe destroys the
/// appliance's keys; a lease renewal tells it the host is still there (see the dead-man lease).
/// Each order is bound to one device id and to that device's signing public key (so an order for
/// an appliance that was re-provisioned since, or for another appliance, opens nothing), carries
/// a counter the appliance must see rise (so a recorded order cannot be played again) and an
/// expiry (so one held back cannot be used later).
/// </summary>
public sealed record HostOrder(
    string Kind,
    string OrderId,
    string DeviceId,
    string DeviceKey,
    long Counter,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string? Signature = null)
{
    public const string WipeKind = "wipe";
    public const string LeaseKind = "lease";

    // Orders and receipts are signed by the same host key: a prefix keeps one from ever verifying as the other.
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("appliance-host-order-v1\n");

    /// <summary>What the host's signature covers: a domain prefix and the order's JSON without the signature.</summary>
    public byte[] SignedBytes() => [.. Domain, .. ProtocolJson.Serialize(this with { Signature = null })];

    /// <summary>
    /// Null if this appliance must obey the order; otherwise why not, without the order's content.
    /// Checked in the order a forger would fail first: signature, then binding, then freshness.
    /// </summary>
    /// <param name="lastCounter">The highest counter this appliance has accepted.</param>
    /// <param name="clockSkew">How far the host's clock may run ahead of the appliance's.</param>
    public string? Check(byte[] hostSigningPublicKey, string deviceId, byte[] deviceSigningPublicKey, long lastCounter, DateTimeOffset now, TimeSpan clockSkew)
    {
        if (Kind is not (WipeKind or LeaseKind))
        {
            return $"unknown order kind '{Kind}'";
        }

        if (!Guid.TryParseExact(OrderId, "N", out _))
        {
            return "orderId is not a 32-digit GUID";
        }

        if (!SeriesSigning.VerifyBytes(hostSigningPublicKey, SignedBytes(), Signature))
        {
            return "not signed by this appliance's host";
        }

        return HostInstructions.CheckBinding(DeviceId, DeviceKey, Counter, IssuedAt, ExpiresAt, deviceId, deviceSigningPublicKey, lastCounter, now, clockSkew);
    }
}

/// <summary>What made an appliance wipe itself.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WipeTrigger>))]
public enum WipeTrigger
{
    /// <summary>A staff member or admin ran <c>wipe --yes</c> on the appliance.</summary>
    Local,

    /// <summary>A remote wipe order signed by the host.</summary>
    Remote,

    /// <summary>The dead-man lease: the host was not reached for too long.</summary>
    Lease,
}
