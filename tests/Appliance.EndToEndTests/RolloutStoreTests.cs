using Appliance.Host.Core.Rollouts;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Rollouts;
using Appliance.Host.PostgreSql;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One contract for the rollout store and the device groups, run on each provider: a rollout's
/// plan and control saved and found from another instance, each appliance's progress kept apart,
/// and groups set by admins at once all kept.
/// </summary>
public abstract class RolloutStoreContract
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    protected abstract (IRolloutStore Rollouts, IDeviceGroups Groups) AnotherInstance();

    [Fact]
    public void Rollouts_AndEachAppliancesProgress_AreKeptAndFoundFromAnotherInstance()
    {
        var (rollouts, _) = AnotherInstance();
        var first = new Rollout("rollout-1", "2.0.0", "linux-arm64", ["canary"], 100, 0.2, [new RolloutWave(1, ["clinic-a-01"])], RolloutState.Running, Now, "admin", Now);
        rollouts.Save(first);
        rollouts.Save(first with { RolloutId = "rollout-2", CreatedAt = Now.AddHours(1), ChangedAt = Now.AddHours(1) });
        AnotherInstance().Rollouts.Save(first with { State = RolloutState.Halted, Reason = "2 of 1 failed", ChangedAt = Now.AddMinutes(5) });

        var found = rollouts.Find("rollout-1")!;
        Assert.Equal((RolloutState.Halted, "2 of 1 failed", "clinic-a-01"), (found.State, found.Reason, found.Waves.Single().Devices.Single()));
        Assert.Equal(["rollout-1", "rollout-2"], rollouts.List().Select(r => r.RolloutId).Order(StringComparer.Ordinal));
        Assert.Null(rollouts.Find("rollout-9"));
        Assert.Null(rollouts.Find("../x"));

        rollouts.SaveProgress(new DeviceUpdate("rollout-1", "clinic-b-01", DeviceUpdateState.Downloading, Now, ChunksHeld: 3, ChunkCount: 10));
        rollouts.SaveProgress(new DeviceUpdate("rollout-1", "clinic-a-01", DeviceUpdateState.Ordered, Now, OrderId: "order-1"));
        var healthy = new DeviceUpdate("rollout-1", "clinic-a-01", DeviceUpdateState.Healthy, Now.AddMinutes(9), OrderId: "order-1", RunningVersion: "2.0.0");
        AnotherInstance().Rollouts.SaveProgress(healthy);
        Assert.Equal(healthy, rollouts.FindProgress("rollout-1", "clinic-a-01"));
        Assert.Equal(["clinic-a-01", "clinic-b-01"], rollouts.Progress("rollout-1").Select(p => p.DeviceId));
        Assert.Empty(rollouts.Progress("rollout-2"));
        Assert.Null(rollouts.FindProgress("rollout-2", "clinic-a-01"));
        Assert.Throws<ArgumentException>(() => rollouts.Save(first with { RolloutId = "not/a/name" }));
    }

    [Fact]
    public async Task GroupsSetByAdminsAtOnce_AreAllKept()
    {
        var instances = Enumerable.Range(0, 4).Select(_ => AnotherInstance().Groups).ToList();
        using var start = new Barrier(instances.Count);
        await Task.WhenAll(instances.Select((groups, n) => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 25; i++)
            {
                groups.Set($"clinic-{n}-{i:00}", $"clinic-{n}");
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        var all = AnotherInstance().Groups.All();
        Assert.Equal(100, all.Count);
        Assert.Equal("clinic-3", all["clinic-3-24"]);
        instances[0].Set("clinic-3-24", null);
        instances[1].Set("clinic-0-00", "canary");
        Assert.Equal((99, "canary"), (instances[2].All().Count, instances[2].All()["clinic-0-00"]));
    }
}

public sealed class FileRolloutStoreTests : RolloutStoreContract, IDisposable
{
    private readonly TempFolder _folder = new("rollout-store");

    protected override (IRolloutStore, IDeviceGroups) AnotherInstance()
    {
        var options = Options.Create(new HostDataOptions { DataFolder = _folder.Path });
        return (new FileRolloutStore(options), new FileDeviceGroups(options));
    }

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgreSqlRolloutStoreTests(PostgresFixture postgres) : RolloutStoreContract, IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    protected override (IRolloutStore, IDeviceGroups) AnotherInstance()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(source);
        return (new PostgreSqlRolloutStore(source), new PostgreSqlDeviceGroups(source));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _sources.ForEach(s => s.Dispose());
}
