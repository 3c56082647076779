using System.Diagnostics;
using System.Security.Cryptography;
using Appliance.Firmware.Core;
using Appliance.Firmware.Updates;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>
/// A release on trial and what rolls it back: the rollback guard script (run before every start)
/// counting starts and the window, the firmware's health gate confirming or restoring, and the
/// staged download that survives a restart.
/// </summary>
public sealed class ReleaseTrialTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-02T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly TempFolder _folder = new("release-trial");
    private readonly ReleaseLayout _layout;

    public ReleaseTrialTests()
    {
        _layout = new ReleaseLayout(_folder.Combine("root"));
        foreach (var version in new[] { "1.0.0", "2.0.0" })
        {
            Directory.CreateDirectory(_layout.FolderOf(version));
        }

        _layout.Point(_layout.Previous, _layout.FolderOf("1.0.0"));
        _layout.Point(_layout.Current, _layout.FolderOf("2.0.0"));
    }

    public void Dispose() => _folder.Dispose();

    private ReleaseTrial Trial(long startedAt, int maxStarts = 3, long window = 300) =>
        new("2.0.0", "1.0.0", Guid.NewGuid().ToString("N"), "rollout-1", startedAt, window, maxStarts, SecurityFloor: 4, StoreFormat: 2);

    private static string Guard => Path.Combine(RepositoryFolder.Root(), "firmware", "Appliance.Firmware", "release-guard.sh");

    private async Task<string> RunGuardAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("sh", [Guard, _layout.Root]) { RedirectStandardError = true })!;
        var said = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, said);
        return said;
    }

    [Fact]
    public async Task TheGuard_CountsStarts_AndRollsBackAReleaseThatKeepsStopping()
    {
        Trial(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Write(_layout.Root);
        for (var start = 1; start <= 3; start++)
        {
            Assert.Contains($"on trial: start {start} of 3", await RunGuardAsync(), StringComparison.Ordinal);
            Assert.Equal(start, ReleaseTrial.Read(_layout.Root)!.Starts);
            Assert.Equal("2.0.0", _layout.CurrentVersion);
        }

        Assert.Contains("rolled back to 1.0.0", await RunGuardAsync(), StringComparison.Ordinal);
        Assert.Equal(("1.0.0", null), (_layout.CurrentVersion, _layout.PreviousVersion));
        Assert.Null(ReleaseTrial.Read(_layout.Root));
        var rollback = ReleaseRollback.Read(_layout.Root)!;
        Assert.Equal(("2.0.0", "1.0.0", "rollout-1"), (rollback.Version, rollback.RestoredVersion, rollback.RolloutId));
        Assert.Contains("did not become healthy in 3 starts", rollback.Reason, StringComparison.Ordinal);
        // Nothing on trial any more: the next start changes nothing.
        Assert.Empty(await RunGuardAsync());
    }

    [Fact]
    public async Task TheGuard_RollsBackAReleaseThatOutlivedItsWindow_AndIgnoresAStaleTrial()
    {
        Trial(DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), window: 60).Write(_layout.Root);
        Assert.Contains("not confirmed healthy within its 60 s health window", await RunGuardAsync(), StringComparison.Ordinal);
        Assert.Equal("1.0.0", _layout.CurrentVersion);

        // A trial for a release that `current` does not name: the switch never happened (a power cut before it).
        ReleaseRollback.MarkReported(_layout.Root);
        Trial(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Write(_layout.Root);
        Assert.Empty(await RunGuardAsync());
        Assert.Null(ReleaseTrial.Read(_layout.Root));
        Assert.Null(ReleaseRollback.Read(_layout.Root));
        Assert.Equal("1.0.0", _layout.CurrentVersion);
    }

    [Fact]
    public async Task TheHealthGate_ConfirmsAHealthyRelease_RaisingTheFloor_AndRestoresOneThatNeverConnects()
    {
        var clock = new FakeTimeProvider(Now);
        var reports = new UpdateReports(Identity("2.0.0"), clock);
        Trial(Now.ToUnixTimeSeconds()).Write(_layout.Root);
        var gate = Gate(clock, reports, new UncheckedSystem());
        Assert.NotNull(gate.Trial);
        // Not before it is confirmed: until then the release before it must still be able to run here.
        Assert.False(File.Exists(Path.Combine(_layout.Root, "store-format")));
        Assert.True(gate.OnConnected());
        Assert.Equal("4", File.ReadAllText(Path.Combine(_layout.Root, "floor")).Trim());
        Assert.Equal("2", File.ReadAllText(Path.Combine(_layout.Root, "store-format")).Trim());
        Assert.Null(ReleaseTrial.Read(_layout.Root));
        var channel = new FakeHostChannel();
        await reports.SendAsync(channel, CancellationToken.None);
        var report = Assert.Single(channel.Published);
        Assert.True(Appliance.Protocol.ProtocolJson.TryDeserialize<UpdateReport>(report.Payload, out var healthy, out _));
        Assert.Equal((UpdateState.Healthy, "2.0.0"), (healthy.State, healthy.Version));

        // The next release on trial never connects: at the deadline the previous one is restored.
        Trial(Now.ToUnixTimeSeconds(), window: 120).Write(_layout.Root);
        var lifetime = new StoppingLifetime();
        var silent = Gate(clock, reports, new UncheckedSystem(), lifetime);
        await silent.StartAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(119));
        Assert.False(lifetime.Stopped.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(2));
        await lifetime.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("1.0.0", _layout.CurrentVersion);
        Assert.Contains("did not connect to the host within the health window", ReleaseRollback.Read(_layout.Root)!.Reason, StringComparison.Ordinal);
        Assert.Equal("4", File.ReadAllText(Path.Combine(_layout.Root, "floor")).Trim());
    }

    [Fact]
    public void AStagedDownload_KeepsOnlyChunksThatMatchTheOrder_AndResumesAfterARestart()
    {
        var package = RandomNumberGenerator.GetBytes(10_000);
        var order = new UpdateOrder(Guid.NewGuid().ToString("N"), "rollout-1", "2.0.0", package.Length, Convert.ToHexStringLower(SHA256.HashData(package)), 4096,
            [.. package.Chunk(4096).Select(c => Convert.ToHexStringLower(SHA256.HashData(c)))]);
        var staging = _folder.Combine("staging");
        using (var download = PackageDownload.Begin(staging, order, Now.AddHours(1)))
        {
            Assert.Contains("does not match", download.Write(1, new byte[4096]), StringComparison.Ordinal);
            Assert.Contains("not 1808", download.Write(2, package.AsSpan(8192, 100)), StringComparison.Ordinal);
            Assert.Contains("outside the package", download.Write(3, package.AsSpan(0, 10)), StringComparison.Ordinal);
            Assert.Null(download.Write(2, package.AsSpan(8192)));
            Assert.Null(download.Write(0, package.AsSpan(0, 4096)));
            Assert.Equal([(1, 1)], download.NextMissing(8));
        }

        using (var resumed = PackageDownload.Resume(staging)!)
        {
            Assert.Equal((2, false, order.OrderId), (resumed.HeldCount, resumed.Complete, resumed.Order.OrderId));
            Assert.Null(resumed.Write(1, package.AsSpan(4096, 4096)));
            Assert.True(resumed.Complete);
            resumed.Flush();
            Assert.Equal(package, File.ReadAllBytes(resumed.PartPath));
        }

        // Another package ordered: the old one's bytes go.
        using (var other = PackageDownload.Begin(staging, order with { PackageSha256 = new string('0', 64) }, Now.AddHours(1)))
        {
            Assert.Equal(0, other.HeldCount);
            Assert.Single(Directory.EnumerateFiles(staging, "*.part"));
        }
    }

    [Fact]
    public async Task AnOrderForTheReleaseThatRolledBackHere_IsRefusedInThatRollout_ButNotInANewOne()
    {
        _layout.Point(_layout.Current, _layout.FolderOf("1.0.0"));
        new ReleaseRollback("2.0.0", "1.0.0", Guid.NewGuid().ToString("N"), "rollout-1", "2.0.0 did not connect").Write(_layout.Root);
        ReleaseRollback.MarkReported(_layout.Root);
        var clock = new FakeTimeProvider(Now);
        var identity = Identity("1.0.0");
        var reports = new UpdateReports(identity, clock);
        var options = new UpdateOptions { Root = _layout.Root };
        using var agent = Agent(options, new ReleaseKeyRing(new ReleaseKeySet(0, [], 1), _layout.Root), clock, identity, reports);
        var package = RandomNumberGenerator.GetBytes(5000);
        UpdateOrder Order(string rollout) => OrderFor(package, rollout);

        // The host's re-sent order, crossing the rollback's report.
        await agent.AcceptOrderAsync(Order("rollout-1"), Now.AddHours(1), CancellationToken.None);
        Assert.False(Directory.Exists(options.StagingFolder));
        // An admin's new rollout of the same release may try again.
        await agent.AcceptOrderAsync(Order("rollout-2"), Now.AddHours(1), CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(options.StagingFolder, "order.json")));

        var channel = new FakeHostChannel();
        await reports.SendAsync(channel, CancellationToken.None);
        var refused = Assert.Single(channel.Published);
        Assert.True(Appliance.Protocol.ProtocolJson.TryDeserialize<UpdateReport>(refused.Payload, out var report, out _));
        Assert.Equal((UpdateState.Refused, "rollout-1"), (report.State, report.RolloutId));
        Assert.Contains("was rolled back here in this rollout", report.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOrderCarryingAKeyRotationTheKeysInForceDidNotSign_IsRefused_AndTheKeysStay()
    {
        _layout.Point(_layout.Current, _layout.FolderOf("1.0.0"));
        var clock = new FakeTimeProvider(Now);
        var identity = Identity("1.0.0");
        var reports = new UpdateReports(identity, clock);
        var options = new UpdateOptions { Root = _layout.Root };
        var enrolled = ReleasePackage.CreateKeyPair();
        var keys = new ReleaseKeyRing(new ReleaseKeySet(0, [enrolled.PublicKey], 1), _layout.Root);
        using var agent = Agent(options, keys, clock, identity, reports);
        var thief = ReleasePackage.CreateKeyPair();
        var forged = ReleaseKeyRotations.Sign(new ReleaseKeyRotation(ReleaseKeyRotation.CurrentFormat, 1, [Convert.ToBase64String(thief.PublicKey)], 1, Now, "forged"), [thief.PrivateKey]);

        await agent.AcceptOrderAsync(OrderFor(RandomNumberGenerator.GetBytes(5000), "rollout-1") with { KeyRotations = [forged] }, Now.AddHours(1), CancellationToken.None);

        Assert.False(Directory.Exists(options.StagingFolder));
        Assert.Equal((0, ReleaseManifest.KeyIdOf(enrolled.PublicKey)), (keys.Current.Sequence, keys.Current.KeyIds.Single()));
        Assert.False(File.Exists(Path.Combine(_layout.Root, ReleaseKeyRing.FileName)));
        var channel = new FakeHostChannel();
        await reports.SendAsync(channel, CancellationToken.None);
        Assert.True(Appliance.Protocol.ProtocolJson.TryDeserialize<UpdateReport>(Assert.Single(channel.Published).Payload, out var report, out _));
        Assert.Equal(UpdateState.Refused, report.State);
        Assert.Equal("key rotation 1 refused: signed by 0 of the trusted release keys, and it takes 1", report.Reason);
    }

    private UpdateAgent Agent(UpdateOptions options, ReleaseKeyRing keys, FakeTimeProvider clock, ApplianceIdentity identity, UpdateReports reports) =>
        new(options, _layout, keys, Gate(clock, reports, new UncheckedSystem()), reports, new IdleHold(),
            new FakeSeriesStore(), identity, new StoppingLifetime(), clock, NullLogger<UpdateAgent>.Instance);

    private static UpdateOrder OrderFor(byte[] package, string rollout) =>
        new(Guid.NewGuid().ToString("N"), rollout, "2.0.0", package.Length, Convert.ToHexStringLower(SHA256.HashData(package)), 4096,
            [.. package.Chunk(4096).Select(c => Convert.ToHexStringLower(SHA256.HashData(c)))]);

    /// <summary>An appliance with no job armed.</summary>
    private sealed class IdleHold : IUpdateHold
    {
        public event EventHandler? BecameIdle
        {
            add { }
            remove { }
        }

        public Task<bool> TryHoldAsync(CancellationToken cancellationToken) => Task.FromResult(true);

        public void ReleaseHold()
        {
        }
    }

    private static ApplianceIdentity Identity(string version) =>
        new("trial-device-01", version, new byte[32], Appliance.Protocol.SeriesSigning.CreateKeyPair().PrivateKey);

    private ReleaseHealthGate Gate(TimeProvider clock, UpdateReports reports, ISystemIntegrity integrity, IHostApplicationLifetime? lifetime = null) =>
        new(new UpdateOptions { Root = _layout.Root }, _layout, reports, Identity("2.0.0"), integrity, lifetime ?? new StoppingLifetime(), clock, NullLogger<ReleaseHealthGate>.Instance);

    /// <summary>Records what the gate's <c>StopApplication</c> asks for.</summary>
    private sealed class StoppingLifetime : IHostApplicationLifetime
    {
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Stopped => _stopped.Task;

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopped.TrySetResult();
    }
}
