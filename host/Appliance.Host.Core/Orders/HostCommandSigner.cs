using Appliance.Protocol;

namespace Appliance.Host.Core.Orders;

/// <summary>
/// Signs the host's commands (capture jobs, calibration runs) as it signs its orders: bound to the
/// device and the signing key it holds, with a counter from the same per-device ledger, and an
/// expiry. A command nobody can sign but the host cannot be forged by a broker that sees it.
/// </summary>
public sealed class HostCommandSigner(IDeviceOrderLedger ledger, IHostSigningKey hostKey, IDeviceSigningKeys deviceKeys, TimeProvider time)
{
    public HostCommand Sign(HostCommand command, string deviceId, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(command);
        var key = deviceKeys.Ring(deviceId).OrderKey
            ?? throw new InvalidOperationException($"{deviceId} has no signing key registered here: provision it first");
        var now = time.GetUtcNow();
        var bound = command with
        {
            DeviceId = deviceId,
            DeviceKey = key.PublicKey,
            Counter = ledger.NextCounter(deviceId, now),
            IssuedAt = now,
            ExpiresAt = expiresAt,
            Signature = null,
        };
        return bound with { Signature = hostKey.Sign(bound.SignedBytes()) };
    }
}
