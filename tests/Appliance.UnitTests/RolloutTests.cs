using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Releases;
using Appliance.Host.Core.Rollouts;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// The host's side of a rollout on its real composition (files, audit, signer), the broker
/// replaced by a recorder: waves planned from groups and a percentage, orders only to online
/// appliances of the current wave and signed for each, the next wave only when this one is done,
/// a halt above the failed share, resume, cancel, and chunks served only for the current order.
/// </summary>
public sealed class RolloutTests : IDisposable
{
    private const string Version = "2.0.0";
    private const string Architecture = "linux-arm64";
    private readonly HostCoreHarness _host = new(new Dictionary<string, string?> { ["Updates:ChunkSize"] = "4096" });
    private readonly TempFolder _folder = new("rollouts");
    private readonly (byte[] Private, byte[] Public) _releaseKey = ReleasePackage.CreateKeyPair();

    public RolloutTests()
    {
        _host.Service<ReleaseLibrary>().Trust(_releaseKey.Public, "test");
        var payload = Directory.CreateDirectory(_folder.Combine("payload")).FullName;
        File.WriteAllBytes(Path.Combine(payload, "Appliance.Firmware"), [.. Enumerable.Range(0, 20_000).Select(i => (byte)i)]);
        var package = _folder.Combine("2.0.0.release");
        ReleasePackage.Create(payload, new ReleaseManifest(ReleaseManifest.CurrentFormat, Version, 2, Architecture, ["pi4"], 0, string.Empty, new DateOnly(2028, 1, 1), 1, string.Empty, string.Empty), _releaseKey.Private, package);
        Assert.True(_host.Service<ReleaseLibrary>().Import(package, "test").Accepted);
        foreach (var id in new[] { "canary-01", "clinic-a-01", "clinic-a-02", "clinic-a-03", "clinic-b-01" })
        {
            _host.Service<DeviceProvisioner>().Provision(id, "127.0.0.1", 8883);
            Control.SetGroup(id, id[..^3], "test");
        }
    }

    private RolloutControl Control => _host.Service<RolloutControl>();

    private RolloutDriver Driver => _host.Service<RolloutDriver>();

    public void Dispose()
    {
        _host.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void Waves_FollowTheGroupsInTheirOrder_ThePercentage_AndTheWaveSize()
    {
        var byGroup = Control.Start(new RolloutRequest(Version, Architecture, ["canary", "clinic-a"]), "admin");
        Assert.Equal([["canary-01"], ["clinic-a-01", "clinic-a-02", "clinic-a-03"]], byGroup.Waves.Select(w => w.Devices));
        Assert.Contains("is still running", Assert.Throws<InvalidOperationException>(() => Control.Start(new RolloutRequest(Version, Architecture, []), "admin")).Message, StringComparison.Ordinal);
        Control.Cancel(byGroup.RolloutId, "admin");

        // Half of four is two: the canary and the first of clinic-a.
        var half = Control.Start(new RolloutRequest(Version, Architecture, ["canary", "clinic-a"], Percentage: 50), "admin");
        Assert.Equal([["canary-01"], ["clinic-a-01"]], half.Waves.Select(w => w.Devices));
        Control.Cancel(half.RolloutId, "admin");

        // Every enrolled appliance (the harness's own as well), four at a time.
        var everyone = Control.Start(new RolloutRequest(Version, Architecture, [], WaveSize: 4), "admin");
        Assert.Equal([4, 2], everyone.Waves.Select(w => w.Devices.Length));
        Control.Cancel(everyone.RolloutId, "admin");

        Assert.Contains("not imported", Assert.Throws<InvalidOperationException>(() => Control.Start(new RolloutRequest("9.9.9", Architecture, []), "admin")).Message, StringComparison.Ordinal);
        Assert.Contains("no enrolled appliance in nowhere", Assert.Throws<InvalidOperationException>(() => Control.Start(new RolloutRequest(Version, Architecture, ["nowhere"]), "admin")).Message, StringComparison.Ordinal);
        Assert.Equal(3, _host.Service<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.RolloutStarted));
        Assert.Equal(3, _host.Service<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.RolloutCancelled));
    }

    [Fact]
    public async Task Orders_GoWaveByWave_ToOnlineAppliances_SignedForEach_AndTheRolloutCompletes()
    {
        var rollout = Control.Start(new RolloutRequest(Version, Architecture, ["canary", "clinic-a"]), "admin");
        Online("clinic-a-01");
        await Driver.TickAsync(CancellationToken.None);
        Assert.Empty(Orders()); // the canary's wave comes first, and the canary is offline

        Online("canary-01");
        await Driver.TickAsync(CancellationToken.None);
        var order = Assert.Single(Orders());
        Assert.Equal("canary-01", order.DeviceId);
        var key = _host.Service<Appliance.Host.Core.IHostSigningKey>().PublicKey;
        var device = _host.Service<Appliance.Host.Core.IDeviceSigningKeys>().Ring("canary-01").OrderKey!.PublicKey;
        Assert.Null(order.Check(key, "canary-01", Convert.FromBase64String(device), 0, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Null(order.Validate());
        var size = new FileInfo(_folder.Combine("2.0.0.release")).Length;
        Assert.Equal((rollout.RolloutId, Version, size, (int)((size + 4095) / 4096)), (order.Update!.RolloutId, order.Update.Version, order.Update.PackageSize, order.Update.ChunkCount));

        // Not sent again while it is good, nor to the next wave before this one is done.
        await Driver.TickAsync(CancellationToken.None);
        Assert.Single(Orders());
        Report("canary-01", order.Update, UpdateState.Healthy);
        await Driver.TickAsync(CancellationToken.None);
        Assert.Equal(["canary-01", "clinic-a-01"], Orders().Select(o => o.DeviceId));

        Online("clinic-a-02");
        Online("clinic-a-03", version: Version);
        await Driver.TickAsync(CancellationToken.None);
        foreach (var o in Orders().Where(o => o.DeviceId != "canary-01"))
        {
            Report(o.DeviceId!, o.Update!, UpdateState.Healthy);
        }

        await Driver.TickAsync(CancellationToken.None);
        Assert.Equal(RolloutState.Completed, Control.Find(rollout.RolloutId)!.State);
        // The one already running the release was never sent it.
        Assert.DoesNotContain(Orders(), o => o.DeviceId == "clinic-a-03");
        Assert.Contains("already running", Control.Progress(rollout.RolloutId).Single(p => p.DeviceId == "clinic-a-03").Reason, StringComparison.Ordinal);
        var fleet = _host.Service<FleetView>().List().Single(e => e.DeviceId == "clinic-a-02");
        Assert.Equal((Version, "healthy"), (fleet.Update!.TargetVersion, fleet.Update.State));
        Assert.Single(_host.Service<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.RolloutCompleted);
    }

    [Fact]
    public async Task AWaveFailingAboveItsShare_HaltsTheRollout_AndResumingDoesNotHaltItAgainForTheSameFailures()
    {
        var rollout = Control.Start(new RolloutRequest(Version, Architecture, ["clinic-a"], HaltAbove: 0.5), "admin");
        foreach (var id in new[] { "clinic-a-01", "clinic-a-02", "clinic-a-03" })
        {
            Online(id);
        }

        await Driver.TickAsync(CancellationToken.None);
        var orders = Orders();
        Assert.Equal(3, orders.Count);
        Report("clinic-a-01", orders[0].Update!, UpdateState.RolledBack, "did not connect");
        await Driver.TickAsync(CancellationToken.None);
        Assert.Equal(RolloutState.Running, Control.Find(rollout.RolloutId)!.State); // one of three is not above half
        Report("clinic-a-02", orders[1].Update!, UpdateState.Refused, "BelowFloor: …");
        await Driver.TickAsync(CancellationToken.None);
        var halted = Control.Find(rollout.RolloutId)!;
        Assert.Equal(RolloutState.Halted, halted.State);
        Assert.Contains("2 of 3 appliances in wave 1", halted.Reason, StringComparison.Ordinal);

        // Halted: the third appliance's chunks are not served, and it gets no new order.
        var fetch = ProtocolJson.Serialize(new PackageRequest(orders[2].Update!.OrderId, 0, 2));
        Assert.Null(await _host.Service<PackageServer>().OnFetchAsync("clinic-a-03", fetch, CancellationToken.None));
        Assert.Empty(Frames("clinic-a-03"));

        Control.Resume(rollout.RolloutId, "admin");
        await Driver.TickAsync(CancellationToken.None);
        Assert.Equal(RolloutState.Running, Control.Find(rollout.RolloutId)!.State);
        Assert.Null(await _host.Service<PackageServer>().OnFetchAsync("clinic-a-03", fetch, CancellationToken.None));
        Assert.Equal([0, 1], Frames("clinic-a-03").Select(f => f.Index));
        var kinds = _host.Service<IAuditTrail>().ReadAll().Select(e => e.Kind).ToList();
        Assert.Contains(AuditKinds.RolloutHalted, kinds);
        Assert.Contains(AuditKinds.RolloutResumed, kinds);
        Assert.Contains(AuditKinds.UpdateRolledBack, kinds);
        Assert.Contains(AuditKinds.UpdateRefused, kinds);
    }

    [Fact]
    public async Task Chunks_GoOnlyForTheAppliancesCurrentOrder_AndMatchTheOrdersDigests()
    {
        Control.Start(new RolloutRequest(Version, Architecture, ["canary"]), "admin");
        Online("canary-01");
        await Driver.TickAsync(CancellationToken.None);
        var order = Assert.Single(Orders()).Update!;
        var server = _host.Service<PackageServer>();

        Assert.Null(await server.OnFetchAsync("canary-01", ProtocolJson.Serialize(new PackageRequest(order.OrderId, 3, 2)), CancellationToken.None));
        var frames = Frames("canary-01");
        Assert.Equal([3, 4], frames.Select(f => f.Index));
        foreach (var (index, chunk) in frames)
        {
            Assert.Equal(order.ChunkSha256[index], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(chunk)));
            Assert.Equal(order.LengthOf(index), chunk.Length);
        }

        Assert.Contains("not canary-01's current update order", await server.OnFetchAsync("canary-01", ProtocolJson.Serialize(new PackageRequest(Guid.NewGuid().ToString("N"), 0, 1)), CancellationToken.None), StringComparison.Ordinal);
        Assert.Contains("not clinic-b-01's current update order", await server.OnFetchAsync("clinic-b-01", ProtocolJson.Serialize(new PackageRequest(order.OrderId, 0, 1)), CancellationToken.None), StringComparison.Ordinal);
        Assert.Contains("outside the package", await server.OnFetchAsync("canary-01", ProtocolJson.Serialize(new PackageRequest(order.OrderId, order.ChunkCount - 1, 2)), CancellationToken.None), StringComparison.Ordinal);
        Assert.NotNull(await server.OnFetchAsync("canary-01", "{\"orderId\":1}"u8.ToArray(), CancellationToken.None));
        Assert.Equal(2, Frames("canary-01").Count);

        // A report for a rollout that does not include the appliance is refused.
        Assert.Contains("does not include", Driver.OnReport("clinic-b-01", ProtocolJson.Serialize(new UpdateReport("clinic-b-01", order.OrderId, order.RolloutId, Version, UpdateState.Healthy, Version, DateTimeOffset.UtcNow))), StringComparison.Ordinal);
    }

    private void Online(string deviceId, string version = "1.0.0") =>
        _host.Service<FleetState>().Record(new ApplianceStatus(deviceId, ApplianceState.Online, version, 0, DateTimeOffset.UtcNow));

    private void Report(string deviceId, UpdateOrder order, UpdateState state, string? reason = null) =>
        Assert.Null(Driver.OnReport(deviceId, ProtocolJson.Serialize(new UpdateReport(deviceId, order.OrderId, order.RolloutId, order.Version, state, state == UpdateState.Healthy ? order.Version : "1.0.0", DateTimeOffset.UtcNow, reason))));

    private List<HostCommand> Orders() =>
        [.. _host.Publisher.Snapshot().Where(m => m.Topic.EndsWith("/command", StringComparison.Ordinal)).Select(m => ProtocolJson.TryDeserialize<HostCommand>(m.Payload, out var c, out _) ? c : null!).Where(c => c.Kind == HostCommand.UpdateKind)];

    private List<(int Index, byte[] Chunk)> Frames(string deviceId) =>
        [.. _host.Publisher.Snapshot().Where(m => m.Topic == ApplianceTopics.Package(deviceId)).Select(m =>
        {
            Assert.True(TransferFrame.TryDecode(m.Payload, out _, out _, out var index, out var chunk, out var error), error);
            return (index, chunk.ToArray());
        })];
}
