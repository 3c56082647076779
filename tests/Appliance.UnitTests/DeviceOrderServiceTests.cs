using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Orders;
using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.UnitTests;

/// <summary>
/// The host's signed orders to one appliance, with its own ledger, keys and audit trail on disk
/// and no broker: a wipe from request to confirmation, and the lease that keeps a healthy
/// appliance from wiping itself.
/// </summary>
public sealed class DeviceOrderServiceTests : IDisposable
{
    private const string DeviceId = HostCoreHarness.DeviceId;
    private readonly HostCoreHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private DeviceOrderService Orders => _harness.Service<DeviceOrderService>();

    private byte[] DevicePrivateKey => Convert.FromBase64String(_harness.Bundle.SigningPrivateKey);

    private ApplianceStatus Status(ApplianceState state, string? orderId = null) =>
        new(DeviceId, state, "0.1.0", 0, DateTimeOffset.UtcNow, OrderId: orderId);

    /// <summary>The orders published on a topic, newest last; an empty retained message (cleared) is left out.</summary>
    private List<HostOrder> OrdersOn(string topic) =>
        [.. _harness.Publisher.Snapshot().Where(m => m.Topic == topic && m.Payload.Length > 0)
            .Select(m => ProtocolJson.TryDeserialize<HostOrder>(m.Payload, out var order, out var error) ? order : throw new InvalidDataException(error))];

    private string? CheckedByTheAppliance(HostOrder order, long lastCounter = 0) =>
        order.Check(_harness.Service<IHostSigningKey>().PublicKey, DeviceId, SeriesSigning.PublicKeyOf(DevicePrivateKey), lastCounter, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

    private byte[] Report(string? orderId, WipeTrigger trigger = WipeTrigger.Remote, byte[]? key = null) =>
        SignedWipeReports.Create(DeviceId, key ?? DevicePrivateKey, trigger, 2, orderId);

    [Fact]
    public async Task AWipe_IsIssuedOnce_SentSignedAndRetained_ThenDelivered_ThenConfirmedByTheAppliancesSignedReport()
    {
        var wipe = Orders.RequestWipe(DeviceId, "admin");
        Assert.Equal(wipe.OrderId, Orders.RequestWipe(DeviceId, "admin").OrderId); // asking twice makes one

        Assert.Equal(1, await Orders.DispatchPendingAsync(CancellationToken.None));
        Assert.Equal(0, await Orders.DispatchPendingAsync(CancellationToken.None));
        var order = Assert.Single(OrdersOn(ApplianceTopics.Wipe(DeviceId)));
        Assert.Equal((HostOrder.WipeKind, wipe.OrderId), (order.Kind, order.OrderId));
        Assert.Null(CheckedByTheAppliance(order));

        await Orders.OnStatusAsync(Status(ApplianceState.Wiping, wipe.OrderId), CancellationToken.None);
        var ledger = _harness.Service<IDeviceOrderLedger>();
        Assert.Equal(WipeState.Delivered, ledger.FindWipe(DeviceId)!.State);

        Assert.Null(await Orders.OnWipedAsync(DeviceId, Report(wipe.OrderId), CancellationToken.None));
        var confirmed = ledger.FindWipe(DeviceId)!;
        Assert.Equal((WipeState.Confirmed, 2), (confirmed.State, confirmed.UnsentSeriesLost));
        Assert.True(confirmed.CertificatesRevoked >= 1);
        // The retained order is cleared, so that an appliance provisioned again under this id is not wiped by it.
        Assert.Empty(_harness.Publisher.Snapshot()[^1].Payload);

        // The same report again (a QoS 1 redelivery): accepted, and audited once only.
        Assert.Null(await Orders.OnWipedAsync(DeviceId, Report(wipe.OrderId), CancellationToken.None));
        Assert.Equal(1, _harness.Service<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.DeviceWiped));
    }

    [Fact]
    public async Task AnApplianceBackOnlineWithAWipePending_GetsAFreshlySignedOrder_WithAHigherCounter_AndNoLease()
    {
        Orders.RequestWipe(DeviceId, "admin");
        await Orders.DispatchPendingAsync(CancellationToken.None);
        var first = OrdersOn(ApplianceTopics.Wipe(DeviceId))[^1];

        await Orders.OnStatusAsync(Status(ApplianceState.Online), CancellationToken.None);

        var second = OrdersOn(ApplianceTopics.Wipe(DeviceId))[^1];
        Assert.True(second.Counter > first.Counter);
        Assert.Null(CheckedByTheAppliance(second, lastCounter: first.Counter));
        Assert.Empty(OrdersOn(ApplianceTopics.Lease(DeviceId)));
    }

    [Fact]
    public async Task AWipeReportNotSignedByTheDevice_OrNamingAnother_IsRefusedWithAReason_AndRevokesNothing()
    {
        var wipe = Orders.RequestWipe(DeviceId, "admin");
        var (forger, _) = SeriesSigning.CreateKeyPair();

        Assert.Contains("not signed by the device's key", await Orders.OnWipedAsync(DeviceId, Report(wipe.OrderId, key: forger), CancellationToken.None));
        Assert.Contains("not signed", await Orders.OnWipedAsync("core-dev-02", Report(wipe.OrderId), CancellationToken.None));
        Assert.False(string.IsNullOrEmpty(await Orders.OnWipedAsync(DeviceId, "{ not json"u8.ToArray(), CancellationToken.None)));

        Assert.Equal(WipeState.Issued, _harness.Service<IDeviceOrderLedger>().FindWipe(DeviceId)!.State);
        Assert.DoesNotContain(_harness.Service<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.DeviceWiped);
    }

    [Fact]
    public async Task AHealthyAppliance_GetsASignedLeaseWhenItComesOnline_AndNotAgainUntilItIsDue()
    {
        await Orders.OnStatusAsync(Status(ApplianceState.Online), CancellationToken.None);
        await Orders.OnStatusAsync(Status(ApplianceState.Armed), CancellationToken.None);
        await Orders.OnStatusAsync(Status(ApplianceState.Offline), CancellationToken.None);

        var lease = Assert.Single(OrdersOn(ApplianceTopics.Lease(DeviceId)));
        Assert.Equal(HostOrder.LeaseKind, lease.Kind);
        Assert.Null(CheckedByTheAppliance(lease));
    }

    [Fact]
    public void AWipeForAnApplianceThisHostNeverProvisioned_IsRefused() =>
        Assert.Throws<InvalidOperationException>(() => Orders.RequestWipe("never-seen-01", "admin"));
}
