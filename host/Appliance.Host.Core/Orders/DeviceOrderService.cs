using System.Collections.Concurrent;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Orders;

/// <summary>
/// The host's signed orders to appliances. A remote wipe is requested (by the command line or
/// the admin page) into the ledger, sent by <see cref="WipeOrderDispatcher"/> retained on the
/// device's wipe topic, sent again freshly signed whenever the appliance reports while it is
/// still pending, marked delivered when the appliance says it is wiping, and confirmed when its
/// signed report arrives, at which point every certificate of the device is revoked. Lease
/// renewals go to every appliance that reports, at connection and every
/// <see cref="OrderOptions.LeaseRenewEvery"/>, unless a wipe is pending for it.
/// </summary>
public sealed partial class DeviceOrderService(
    IDeviceOrderLedger ledger,
    IHostSigningKey hostKey,
    IDeviceSigningKeys deviceKeys,
    IDeviceMessagePublisher publisher,
    DeviceProvisioner provisioner,
    IAuditTrail audit,
    IEnumerable<IWipeFollowUp> wipeFollowUps,
    IOptions<OrderOptions> options,
    IOptions<ProvisioningOptions> provisioning,
    TimeProvider time,
    ILogger<DeviceOrderService> logger)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _leaseSentAt = new();

    /// <summary>Raised whenever a wipe's record changes (issued, sent, delivered, confirmed).</summary>
    public event EventHandler<WipeRecord>? WipeChanged;

    /// <summary>
    /// Records a wipe for the device; the dispatcher sends it. A wipe already pending is returned
    /// as it stands (asking twice does not make two). Works with the host stopped: the order goes
    /// out when it next runs.
    /// </summary>
    public WipeRecord RequestWipe(string deviceId, string requestedBy)
    {
        DeviceId.EnsureValid(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(requestedBy);
        if (deviceKeys.Ring(deviceId).OrderKey is null)
        {
            throw new InvalidOperationException($"{deviceId} was never provisioned by this host: there is nothing to wipe.");
        }

        if (ledger.FindWipe(deviceId) is { State: not WipeState.Confirmed } pending)
        {
            return pending;
        }

        var now = time.GetUtcNow();
        var record = new WipeRecord(Guid.NewGuid().ToString("N"), deviceId, requestedBy, now, WipeState.Issued, Counter: 0, ExpiresAt: now, Sends: 0);
        ledger.SaveWipe(record);
        audit.Append(AuditKinds.WipeIssued, requestedBy, deviceId, $"order {record.OrderId}");
        LogWipeRequested(logger, deviceId, record.OrderId, requestedBy);
        WipeChanged?.Invoke(this, record);
        return record;
    }

    /// <summary>Sends every requested wipe not sent yet. Returns how many went out.</summary>
    public async Task<int> DispatchPendingAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        foreach (var wipe in ledger.Wipes().Where(w => w is { State: WipeState.Issued, Sends: 0 }))
        {
            await SendWipeAsync(wipe, cancellationToken);
            sent++;
        }

        return sent;
    }

    /// <summary>What an appliance's status means for its orders: delivery, a resend, or a lease renewal.</summary>
    public async Task OnStatusAsync(ApplianceStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var now = time.GetUtcNow();
        ConfirmSigningKey(status, now);
        var wipe = ledger.FindWipe(status.DeviceId);
        if (wipe is { State: not WipeState.Confirmed })
        {
            if (status.State == ApplianceState.Wiping && status.OrderId == wipe.OrderId)
            {
                if (wipe.State == WipeState.Issued)
                {
                    Update(wipe with { State = WipeState.Delivered, DeliveredAt = now });
                    audit.Append(AuditKinds.WipeDelivered, "host", wipe.DeviceId, $"order {wipe.OrderId}");
                }
            }
            else if (status.State == ApplianceState.Online || (wipe.State == WipeState.Issued && wipe.ExpiresAt <= now))
            {
                // Back after a while (its retained copy may have expired), or back after a power
                // cut in the middle of wiping (it had said "wiping"): a freshly signed one.
                await SendWipeAsync(wipe, cancellationToken);
            }

            return; // no lease while a wipe is pending: it would only keep a lost appliance alive
        }

        if (status.State == ApplianceState.Offline)
        {
            return;
        }

        if (status.State == ApplianceState.Online || !_leaseSentAt.TryGetValue(status.DeviceId, out var last) || now - last >= options.Value.LeaseRenewEvery)
        {
            await SendLeaseAsync(status.DeviceId, cancellationToken);
        }
    }

    /// <summary>
    /// A wipe report from an appliance: checked against the device's registered signing key;
    /// then the wipe is confirmed, the device's certificates revoked and the retained order
    /// cleared. Returns why it was refused, or null.
    /// </summary>
    public async Task<string?> OnWipedAsync(string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<WipeReport>(payload.Span, out var report, out var error))
        {
            return error;
        }

        // Whichever key the appliance held when it erased: the one it showed, or one issued to it
        // that it enrolled without reporting since (a rotation's package).
        var keys = deviceKeys.Ring(deviceId).Keys.Where(k => k.State is SigningKeyState.Current or SigningKeyState.Pending);
        if (!keys.Any(key => SeriesSigning.VerifyBytes(key.Bytes, report.SignedBytes(), report.Signature)))
        {
            return "wipe report not signed by the device's key";
        }

        if (report.DeviceId != deviceId)
        {
            return "wipe report names another device";
        }

        var wipe = ledger.FindWipe(deviceId);
        if (wipe is { State: WipeState.Confirmed } && report.OrderId is not null && wipe.OrderId == report.OrderId)
        {
            // The same report again (a QoS 1 redelivery): already confirmed, revoked and audited;
            // what follows is done again only where it was not finished.
            await FollowUpAsync(report, repeat: true, cancellationToken);
            return null;
        }

        var revoked = provisioner.Revoke(deviceId, $"wiped ({report.Trigger}{(report.OrderId is null ? string.Empty : " order " + report.OrderId)})");
        if (wipe is { State: not WipeState.Confirmed } && wipe.OrderId == report.OrderId)
        {
            Update(wipe with
            {
                State = WipeState.Confirmed,
                DeliveredAt = wipe.DeliveredAt ?? time.GetUtcNow(),
                ConfirmedAt = time.GetUtcNow(),
                UnsentSeriesLost = report.UnsentSeriesLost,
                CertificatesRevoked = revoked,
            });
            await publisher.PublishRetainedAsync(ApplianceTopics.Wipe(deviceId), [], cancellationToken);
        }

        audit.Append(AuditKinds.DeviceWiped, deviceId, deviceId,
            $"{report.Trigger} wipe{(report.OrderId is null ? string.Empty : " order " + report.OrderId)}: {report.UnsentSeriesLost} unsent series lost, {revoked} certificates revoked");
        LogWipeConfirmed(logger, deviceId, report.Trigger, report.OrderId, report.UnsentSeriesLost, revoked);
        _leaseSentAt.TryRemove(deviceId, out _);
        await FollowUpAsync(report, repeat: false, cancellationToken);
        return null;
    }

    private async Task FollowUpAsync(WipeReport report, bool repeat, CancellationToken cancellationToken)
    {
        foreach (var followUp in wipeFollowUps)
        {
            await followUp.OnWipeConfirmedAsync(report, repeat, cancellationToken);
        }
    }

    private async Task SendWipeAsync(WipeRecord wipe, CancellationToken cancellationToken)
    {
        var key = deviceKeys.Ring(wipe.DeviceId).OrderKey?.Bytes ?? throw new InvalidOperationException($"{wipe.DeviceId} has no signing key registered");
        var order = Sign(HostOrder.WipeKind, wipe.OrderId, wipe.DeviceId, key, options.Value.WipeOrderLifetime);
        // Recorded before it is published, so the counter is never reused even if the host dies here.
        var sent = Update(wipe with { Counter = order.Counter, ExpiresAt = order.ExpiresAt, Sends = wipe.Sends + 1 });
        await publisher.PublishRetainedAsync(ApplianceTopics.Wipe(wipe.DeviceId), ProtocolJson.Serialize(order), cancellationToken);
        LogWipeSent(logger, wipe.DeviceId, wipe.OrderId, order.Counter, sent.Sends);
    }

    private async Task SendLeaseAsync(string deviceId, CancellationToken cancellationToken)
    {
        if (deviceKeys.Ring(deviceId).OrderKey?.Bytes is not { } key)
        {
            return;
        }

        var order = Sign(HostOrder.LeaseKind, Guid.NewGuid().ToString("N"), deviceId, key, options.Value.LeaseOrderLifetime);
        _leaseSentAt[deviceId] = order.IssuedAt;
        await publisher.PublishAsync(ApplianceTopics.Lease(deviceId), ProtocolJson.Serialize(order), cancellationToken);
    }

    /// <summary>
    /// The appliance's status names the signing key it holds: once that is a newly issued one,
    /// orders are bound to it and the key it replaced is kept only for series queued under it.
    /// </summary>
    private void ConfirmSigningKey(ApplianceStatus status, DateTimeOffset now)
    {
        if (status.SigningKey is not { } shown || !DeviceId.IsValid(status.DeviceId))
        {
            return;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(shown);
        }
        catch (FormatException)
        {
            return;
        }

        var confirmed = false;
        deviceKeys.Update(status.DeviceId, ring =>
        {
            var changed = ring.Confirm(key, now, provisioning.Value.PreviousKeyGrace);
            confirmed = changed is not null;
            return changed;
        });
        if (confirmed)
        {
            audit.Append(AuditKinds.SigningKeyConfirmed, status.DeviceId, status.DeviceId, $"orders now bound to key {shown[..12]}…");
            LogSigningKeyConfirmed(logger, status.DeviceId);
        }
    }

    private HostOrder Sign(string kind, string orderId, string deviceId, byte[] deviceKey, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var order = new HostOrder(kind, orderId, deviceId, Convert.ToBase64String(deviceKey), ledger.NextCounter(deviceId, now), now, now + lifetime);
        return order with { Signature = hostKey.Sign(order.SignedBytes()) };
    }

    private WipeRecord Update(WipeRecord record)
    {
        ledger.SaveWipe(record);
        WipeChanged?.Invoke(this, record);
        return record;
    }

    [LoggerMessage(EventId = 5404, Level = LogLevel.Information, Message = "{DeviceId} holds its newly issued signing key: orders are bound to it from now on")]
    private static partial void LogSigningKeyConfirmed(ILogger logger, string deviceId);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Warning, Message = "Remote wipe of {DeviceId} requested by {RequestedBy} (order {OrderId})")]
    private static partial void LogWipeRequested(ILogger logger, string deviceId, string orderId, string requestedBy);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Information, Message = "Wipe order {OrderId} for {DeviceId} sent (counter {Counter}, send {Sends})")]
    private static partial void LogWipeSent(ILogger logger, string deviceId, string orderId, long counter, int sends);

    [LoggerMessage(EventId = 5403, Level = LogLevel.Warning, Message = "{DeviceId} confirmed a {Trigger} wipe (order {OrderId}): {UnsentSeries} unsent series lost, {Revoked} certificates revoked")]
    private static partial void LogWipeConfirmed(ILogger logger, string deviceId, WipeTrigger trigger, string? orderId, int unsentSeries, int revoked);
}
