using Appliance.Host.Core.Orders;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Security;
using Appliance.Host.PostgreSql;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One order ledger contract, run on each provider: counters only rise, never fall below the
/// time floor, and host instances drawing at once never get the same one (an appliance would
/// refuse the second order as a replay); a device's current wipe is saved, found, updated,
/// listed and set aside when it goes back in service.
/// </summary>
public abstract class DeviceOrderLedgerContract
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A ledger as another host instance on the same state would hold it.</summary>
    protected abstract IDeviceOrderLedger AnotherInstance();

    [Fact]
    public void Counters_RisePerDevice_AndNeverFallBelowTheTime()
    {
        var ledger = AnotherInstance();
        var floor = (Now - DateTimeOffset.UnixEpoch).Ticks / 10;

        var first = ledger.NextCounter("clinic-a-01", Now);
        Assert.Equal(floor, first);
        Assert.Equal(first + 1, ledger.NextCounter("clinic-a-01", Now));
        Assert.Equal(floor, ledger.NextCounter("clinic-b-01", Now));
        // A clock that went back (a restore, a bad NTP step) still gets a higher counter.
        Assert.Equal(first + 2, AnotherInstance().NextCounter("clinic-a-01", Now.AddDays(-1)));
        Assert.Equal(floor + 60_000_000, ledger.NextCounter("clinic-a-01", Now.AddMinutes(1)));
    }

    [Fact]
    public async Task InstancesDrawingAtOnce_NeverIssueTheSameCounter()
    {
        var instances = Enumerable.Range(0, 4).Select(_ => AnotherInstance()).ToList();
        var drawn = await Task.WhenAll(instances.Select(ledger => Task.Run(() => Enumerable.Range(0, 500).Select(_ => ledger.NextCounter("clinic-a-01", Now)).ToList())));

        var all = drawn.SelectMany(d => d).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(drawn, d => Assert.Equal(d.Order(), d));
    }

    [Fact]
    public void AWipe_IsSavedFoundUpdatedListed_AndSetAsideWhenTheDeviceReturns()
    {
        var ledger = AnotherInstance();
        Assert.Null(ledger.FindWipe("clinic-a-01"));
        var issued = new WipeRecord(Guid.NewGuid().ToString("N"), "clinic-a-01", "admin", Now, WipeState.Issued, 7, Now.AddHours(24), 1);
        ledger.SaveWipe(issued);
        ledger.SaveWipe(new WipeRecord(Guid.NewGuid().ToString("N"), "clinic-b-01", "admin", Now.AddMinutes(-5), WipeState.Issued, 8, Now.AddHours(24), 1));
        var confirmed = issued with { State = WipeState.Confirmed, ConfirmedAt = Now.AddMinutes(2), UnsentSeriesLost = 2, CertificatesRevoked = 1, Sends = 2 };
        AnotherInstance().SaveWipe(confirmed);

        Assert.Equal(confirmed, ledger.FindWipe("clinic-a-01"));
        Assert.Equal(["clinic-b-01", "clinic-a-01"], ledger.Wipes().Select(w => w.DeviceId));
        Assert.Null(ledger.FindWipe("not a device id"));

        ledger.ArchiveWipe("clinic-a-01");
        Assert.Null(ledger.FindWipe("clinic-a-01"));
        Assert.Equal(["clinic-b-01"], ledger.Wipes().Select(w => w.DeviceId));
        var again = new WipeRecord(Guid.NewGuid().ToString("N"), "clinic-a-01", "admin", Now.AddDays(1), WipeState.Issued, 9, Now.AddDays(2), 1);
        ledger.SaveWipe(again);
        Assert.Equal(again, ledger.FindWipe("clinic-a-01"));
    }
}

/// <summary>The ledger in the data folder.</summary>
public sealed class FileDeviceOrderLedgerTests : DeviceOrderLedgerContract, IDisposable
{
    private readonly TempFolder _folder = new("ledger");

    protected override IDeviceOrderLedger AnotherInstance() => new FileDeviceOrderLedger(Options.Create(new HostDataOptions { DataFolder = _folder.Path }));

    public void Dispose() => _folder.Dispose();
}

/// <summary>The ledger in PostgreSQL.</summary>
public sealed class PostgreSqlDeviceOrderLedgerTests(PostgresFixture postgres) : DeviceOrderLedgerContract, IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    protected override IDeviceOrderLedger AnotherInstance()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(source);
        return new PostgreSqlDeviceOrderLedger(source);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _sources.ForEach(s => s.Dispose());
}
