using System.Text.Json.Serialization;

namespace Appliance.Host.Core.Provisioning;

/// <summary>Where a device signing key stands in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SigningKeyState>))]
public enum SigningKeyState
{
    /// <summary>Issued in an enrolment package; the appliance has not yet shown it holds it.</summary>
    Pending,

    /// <summary>The key the appliance has shown it holds: orders are bound to it.</summary>
    Current,

    /// <summary>Replaced by a rotation; series and profiles signed with it are accepted until <see cref="DeviceSigningKey.AcceptedUntil"/>.</summary>
    Previous,

    /// <summary>Never accepted again: replaced by a re-provisioning (the appliance was lost, wiped or rebuilt).</summary>
    Retired,
}

/// <summary>One Ed25519 public key a device was given, and where it stands.</summary>
public sealed record DeviceSigningKey(
    string PublicKey,
    SigningKeyState State,
    DateTimeOffset IssuedAt,
    DateTimeOffset? ConfirmedAt = null,
    DateTimeOffset? AcceptedUntil = null)
{
    public byte[] Bytes => Convert.FromBase64String(PublicKey);
}

/// <summary>
/// A device's signing keys over their life. A key issued by provisioning is <em>pending</em>
/// until the appliance shows it holds it (its status names the key); until then orders stay
/// bound to the key it has, so an appliance stolen between a rotation and its enrolment can
/// still be wiped and keeps getting leases. A rotation keeps the replaced key accepted for
/// series queued under it for a grace period; a re-provisioning (a lost or rebuilt appliance)
/// retires every older key at once.
/// </summary>
public sealed record DeviceSigningKeyRing(IReadOnlyList<DeviceSigningKey> Keys)
{
    public static readonly DeviceSigningKeyRing Empty = new([]);

    /// <summary>The key orders are bound to: the one the appliance holds, or for one never seen yet, the newest issued.</summary>
    public DeviceSigningKey? OrderKey =>
        Keys.LastOrDefault(k => k.State == SigningKeyState.Current) ?? Keys.LastOrDefault(k => k.State == SigningKeyState.Pending);

    /// <summary>Keys whose signatures count now (series, calibration profiles, wipe reports), newest first.</summary>
    public IReadOnlyList<DeviceSigningKey> Accepted(DateTimeOffset now) =>
        [.. Keys.Where(k => k.State is SigningKeyState.Current or SigningKeyState.Pending
            || (k.State == SigningKeyState.Previous && k.AcceptedUntil > now)).Reverse()];

    /// <summary>A key issued by provisioning of this <paramref name="kind"/>.</summary>
    public DeviceSigningKeyRing Issue(byte[] publicKey, ProvisioningKind kind, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var issued = new DeviceSigningKey(Convert.ToBase64String(publicKey), SigningKeyState.Pending, now);
        var older = kind == ProvisioningKind.Reprovision
            ? Keys.Select(k => k.State == SigningKeyState.Retired ? k : k with { State = SigningKeyState.Retired, AcceptedUntil = now })
            : Keys;
        return new([.. older, issued]);
    }

    /// <summary>
    /// The appliance showed it holds <paramref name="publicKey"/>: a pending key becomes current,
    /// the current one and pending keys issued before it become previous (accepted for
    /// <paramref name="grace"/> more, for series queued under them). Null if nothing changes.
    /// </summary>
    public DeviceSigningKeyRing? Confirm(byte[] publicKey, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var text = Convert.ToBase64String(publicKey);
        var index = Keys.ToList().FindIndex(k => k.PublicKey == text);
        if (index < 0 || Keys[index].State != SigningKeyState.Pending)
        {
            return null;
        }

        return new([.. Keys.Select((k, i) => Confirmed(k, i == index, i < index, now, grace))]);
    }

    private static DeviceSigningKey Confirmed(DeviceSigningKey key, bool shown, bool issuedBefore, DateTimeOffset now, TimeSpan grace)
    {
        if (shown)
        {
            return key with { State = SigningKeyState.Current, ConfirmedAt = now };
        }

        return key.State switch
        {
            SigningKeyState.Current => key with { State = SigningKeyState.Previous, AcceptedUntil = now + grace },
            // An earlier package may have been enrolled and used offline before this one: its
            // signatures count for the grace period too, but orders never go back to it.
            SigningKeyState.Pending when issuedBefore => key with { State = SigningKeyState.Previous, AcceptedUntil = now + grace },
            _ => key,
        };
    }
}
