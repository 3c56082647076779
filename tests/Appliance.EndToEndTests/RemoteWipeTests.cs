using System.Diagnostics;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Uplink;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Web.CommandLine;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.EndToEndTests;

public sealed class RemoteWipeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OnlineAppliance_WipedFromTheAdminCommand_ConfirmedWithinTwoSeconds_ThenRevokedAndNothingOpenable()
    {
        using var folder = new TempFolder("remote-wipe-online");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var bundle = ReadBundle(suite);
        var host = suite.Host;
        // In service until the order: it has filed a series.
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-RW", "back", ConsentScope.DirectCare, CancellationToken.None);
        await suite.PressAndWaitFiledAsync(CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var exit = await HostCommandLine.Build().Parse(["wipe", suite.DeviceId, "--wait", "10", "--json", "--requested-by", "it-admin", $"--Host:DataFolder={folder.Combine("host")}"]).InvokeAsync();
        clock.Stop();

        Assert.True(exit == 0, $"wipe exited {exit}: {System.Text.Json.JsonSerializer.Serialize(host.Services.GetRequiredService<IDeviceOrderLedger>().FindWipe(suite.DeviceId))}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"confirmed after {clock.ElapsedMilliseconds} ms");
        var record = host.Services.GetRequiredService<IDeviceOrderLedger>().FindWipe(suite.DeviceId)!;
        Assert.Equal(WipeState.Confirmed, record.State);
        Assert.Equal(0, record.UnsentSeriesLost);
        Assert.True(record.CertificatesRevoked >= 1);
        Assert.NotNull(record.DeliveredAt);

        // The appliance stopped itself, holds only the marker, and its old certificate is refused.
        await Poll.UntilAsync(() => ApplianceStopped(suite.Appliance), "the appliance stops after its wipe");
        await suite.ApplianceService<CryptoEraser>().TrashDeletion;
        Assert.Equal([CryptoEraser.MarkerName], Directory.EnumerateFileSystemEntries(suite.ApplianceDataFolder).Select(Path.GetFileName));
        var marker = CryptoEraser.ReadMarker(suite.ApplianceDataFolder)!;
        Assert.Equal(WipeTrigger.Remote, marker.Trigger);
        Assert.Equal(record.OrderId, marker.OrderId);
        var keyMarkers = new[] { bundle.StoreSecret, bundle.PrivateKeyPem.Split('\n')[1] }.Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        Assert.False(PlaintextScan.AnyFound(suite.ApplianceDataFolder, keyMarkers));
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        using var stolenCertificate = MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem);
        using (var again = await MqttTestClient.TryConnectAsync(port, suite.DeviceId, stolenCertificate))
        {
            Assert.Null(again);
        }

        var fleetEntry = Assert.Single(host.Services.GetRequiredService<FleetView>().List(), e => e.DeviceId == suite.DeviceId);
        Assert.Equal("wiped", fleetEntry.State);
        Assert.False(fleetEntry.Online);
        Assert.True(fleetEntry.Revoked);
        Assert.Empty(fleetEntry.PendingCommands);
        // The same report delivered again (QoS 1 may) is taken quietly: confirmed, revoked and audited once.
        Assert.Null(await host.Services.GetRequiredService<DeviceOrderService>().OnWipedAsync(
            suite.DeviceId, await File.ReadAllBytesAsync(Path.Combine(suite.ApplianceDataFolder, CryptoEraser.MarkerName)), CancellationToken.None));
        var kinds = host.Services.GetRequiredService<IAuditTrail>().ReadAll().Where(e => e.Subject == suite.DeviceId).Select(e => e.Kind).ToList();
        Assert.Equal(
            [AuditKinds.WipeIssued, AuditKinds.WipeDelivered, AuditKinds.DeviceRevoked, AuditKinds.DeviceWiped],
            kinds.Where(k => k is AuditKinds.WipeIssued or AuditKinds.WipeDelivered or AuditKinds.DeviceRevoked or AuditKinds.DeviceWiped));

        // Restarted, the firmware says it was wiped and will not run.
        using var restarted = EmbeddedSuite.BuildAppliance(suite.ApplianceDataFolder, LogLevel.None);
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => restarted.StartAsync());
        Assert.Contains("wiped", refusal.Message);

        // Found again and re-provisioned (the page and the command both go through the provisioner):
        // the wipe that retired it is history, kept in the audit trail, and the fleet stops showing it wiped.
        host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment(suite.DeviceId, ProvisioningKind.Reprovision, "127.0.0.1", port);
        Assert.Null(host.Services.GetRequiredService<IDeviceOrderLedger>().FindWipe(suite.DeviceId));
        Assert.NotEqual("wiped", Assert.Single(host.Services.GetRequiredService<FleetView>().List(), e => e.DeviceId == suite.DeviceId).State);
    }

    [Fact]
    public async Task OfflineAppliance_IsWipedTheMomentItReconnects()
    {
        using var folder = new TempFolder("remote-wipe-offline");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        await suite.Appliance.StopAsync();
        var orders = suite.HostService<DeviceOrderService>();
        var ledger = suite.HostService<IDeviceOrderLedger>();

        var issued = orders.RequestWipe(suite.DeviceId, "it-admin");
        // Sent at least once: an "online" the appliance published before it stopped (its integrity
        // check's, just after its connection's) may reach the host after the request, and every
        // "online" is answered with a freshly signed order, so a second send is right, not a fault.
        await Poll.UntilAsync(() => ledger.FindWipe(suite.DeviceId) is { Sends: >= 1 }, "the wipe is sent", () => ledger.FindWipe(suite.DeviceId));
        // Sent and held by the broker, but nobody has it yet.
        Assert.Equal(WipeState.Issued, ledger.FindWipe(suite.DeviceId)!.State);
        Assert.Contains("wipe (issued)", suite.HostService<FleetView>().List().Single(e => e.DeviceId == suite.DeviceId).PendingCommands);

        // Asking again while it is pending does not make a second order.
        Assert.Equal(issued.OrderId, orders.RequestWipe(suite.DeviceId, "someone-else").OrderId);

        using var returning = EmbeddedSuite.BuildAppliance(suite.ApplianceDataFolder, LogLevel.Warning);
        await returning.StartAsync();
        await Poll.UntilAsync(() => ledger.FindWipe(suite.DeviceId) is { State: WipeState.Confirmed }, "the wipe is confirmed");
        await Poll.UntilAsync(() => ApplianceStopped(returning), "the returning appliance stops after its wipe");
        Assert.Equal(issued.OrderId, CryptoEraser.ReadMarker(suite.ApplianceDataFolder)!.OrderId);
        Assert.DoesNotContain(suite.DeviceId, suite.HostService<IDeviceCertificates>().ActiveDevices());
    }

    [Fact]
    public async Task AWipeCutShortByPowerLoss_IsFinishedAtTheNextStart_BeforeAnythingElse()
    {
        using var folder = new TempFolder("remote-wipe-power-cut");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var bundle = ReadBundle(suite);
        await suite.Appliance.StopAsync();
        // What the appliance had written when the power went: the order accepted, the wipe decided, the keys still there.
        var orderId = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(suite.ApplianceDataFolder, ApplianceWipeService.PendingName), $"{{\"Trigger\":\"Remote\",\"OrderId\":\"{orderId}\"}}");
        await suite.Host.StopAsync(); // and no host to ask again

        using var restarted = EmbeddedSuite.BuildAppliance(suite.ApplianceDataFolder, LogLevel.Warning);
        await restarted.StartAsync();
        await Poll.UntilAsync(() => ApplianceStopped(restarted), "the restarted appliance finishes the wipe and stops");
        await restarted.Services.GetRequiredService<CryptoEraser>().TrashDeletion;

        var marker = CryptoEraser.ReadMarker(suite.ApplianceDataFolder)!;
        Assert.Equal((WipeTrigger.Remote, orderId), (marker.Trigger, marker.OrderId));
        Assert.Equal([CryptoEraser.MarkerName], Directory.EnumerateFileSystemEntries(suite.ApplianceDataFolder).Select(Path.GetFileName));
        var keyMarkers = new[] { bundle.StoreSecret, bundle.PrivateKeyPem.Split('\n')[1] }.Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        Assert.False(PlaintextScan.AnyFound(suite.ApplianceDataFolder, keyMarkers));
    }

    [Fact]
    public async Task ForgedReplayedExpiredAndMisdirectedOrders_AreRefusedAndLogged_AndTheApplianceKeepsWorking()
    {
        using var folder = new TempFolder("remote-wipe-refused");
        var logs = new CapturedLogs();
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path, logging: l => l.AddProvider(logs));
        var handler = suite.ApplianceService<HostMessageHandler>();
        var refusals = System.Threading.Channels.Channel.CreateUnbounded<string>();
        handler.OrderRejected += (_, reason) => refusals.Writer.TryWrite(reason);
        var hostKey = suite.HostService<IHostSigningKey>();
        var ledger = suite.HostService<IDeviceOrderLedger>();
        var publisher = suite.HostService<IDeviceMessagePublisher>();
        var deviceKey = suite.HostService<IDeviceSigningKeys>().Ring(suite.DeviceId).OrderKey!.Bytes;
        var now = DateTimeOffset.UtcNow;

        HostOrder Order(string kind, string device, byte[] key, long counter, DateTimeOffset expires) =>
            new(kind, Guid.NewGuid().ToString("N"), device, Convert.ToBase64String(key), counter, now, expires);
        HostOrder SignedByHost(HostOrder o) => o with { Signature = hostKey.Sign(o.SignedBytes()) };

        // The host's own lease for the appliance's arrival first, so it cannot land after the test's.
        await Poll.UntilAsync(() => suite.ApplianceService<IHostOrderLedger>().Current.LastCounter > 0, "the host's first lease is accepted");

        // A lease the appliance accepts sets the bar for what counts as a replay.
        var lease = SignedByHost(Order(HostOrder.LeaseKind, suite.DeviceId, deviceKey, ledger.NextCounter(suite.DeviceId, now), now.AddMinutes(5)));
        await publisher.PublishAsync(ApplianceTopics.Lease(suite.DeviceId), ProtocolJson.Serialize(lease), CancellationToken.None);
        await Poll.UntilAsync(() => suite.ApplianceService<IHostOrderLedger>().Current.LastCounter == lease.Counter, "the appliance accepts the lease");

        var (forgerPrivate, _) = SeriesSigning.CreateKeyPair();
        var forgedWipe = Order(HostOrder.WipeKind, suite.DeviceId, deviceKey, ledger.NextCounter(suite.DeviceId, now), now.AddMinutes(5));
        var (_, otherDeviceKey) = SeriesSigning.CreateKeyPair();
        var cases = new (string Name, HostOrder Order, string Expected)[]
        {
            ("forged", forgedWipe with { Signature = SeriesSigning.SignBytes(forgerPrivate, forgedWipe.SignedBytes()) }, "not signed by this appliance's host"),
            ("unsigned", forgedWipe, "not signed by this appliance's host"),
            ("replayed", lease, "replayed"),
            ("old counter", SignedByHost(Order(HostOrder.WipeKind, suite.DeviceId, deviceKey, lease.Counter - 1, now.AddMinutes(5))), "replayed"),
            ("expired", SignedByHost(Order(HostOrder.WipeKind, suite.DeviceId, deviceKey, ledger.NextCounter(suite.DeviceId, now), now.AddSeconds(-1))), "expired"),
            ("other device", SignedByHost(Order(HostOrder.WipeKind, "other-appliance-02", otherDeviceKey, ledger.NextCounter(suite.DeviceId, now), now.AddMinutes(5))), "addressed to another device"),
            ("older provisioning", SignedByHost(Order(HostOrder.WipeKind, suite.DeviceId, otherDeviceKey, ledger.NextCounter(suite.DeviceId, now), now.AddMinutes(5))), "bound to another device key"),
        };

        foreach (var (name, order, expected) in cases)
        {
            var topic = order.Kind == HostOrder.LeaseKind ? ApplianceTopics.Lease(suite.DeviceId) : ApplianceTopics.Wipe(suite.DeviceId);
            await publisher.PublishAsync(topic, ProtocolJson.Serialize(order), CancellationToken.None);
            var reason = await refusals.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            Assert.True(reason.Contains(expected, StringComparison.Ordinal), $"{name}: refused with '{reason}', expected '{expected}'");
        }

        Assert.Equal(cases.Length, logs.Entries.Count(e => e.EventId.Id == 3005 && e.Level == LogLevel.Warning));
        logs.ThrowIfUnexpectedErrors();
        Assert.True(File.Exists(Path.Combine(suite.ApplianceDataFolder, "bundle.json")));
        Assert.False(suite.ApplianceService<WipeSignal>().Requested.IsCompleted);
        Assert.Equal(lease.Counter, suite.ApplianceService<IHostOrderLedger>().Current.LastCounter);
        // Still in service: it files a capture.
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-RW2", "back", ConsentScope.DirectCare, CancellationToken.None);
        await suite.PressAndWaitFiledAsync(CancellationToken.None);
    }

    private static ProvisioningBundle ReadBundle(EmbeddedSuite suite)
    {
        Assert.True(ProtocolJson.TryDeserialize<ProvisioningBundle>(File.ReadAllBytes(Path.Combine(suite.ApplianceDataFolder, "bundle.json")), out var bundle, out _));
        return bundle;
    }

    private static bool ApplianceStopped(IHost appliance) =>
        appliance.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;
}
