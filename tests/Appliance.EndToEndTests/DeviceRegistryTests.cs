using Appliance.Host.Core;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Security;
using Appliance.Host.PostgreSql;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One device registry contract, run on each provider: certificates issued, superseded by the
/// newest, revoked, and listed for the CRL and the broker's ACL; a signing key ring changed by
/// host instances at once loses no change; provisioned settings and last statuses kept per device.
/// </summary>
public abstract class DeviceRegistryContract
{
    protected static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));

    protected abstract (IDeviceCertificates Certificates, IDeviceSigningKeys Keys, IDeviceSettingsStore Settings, IApplianceStatusStore Statuses) AnotherInstance();

    [Fact]
    public void Certificates_AreSupersededByTheNewest_Revoked_AndListedForTheCrlAndTheAcl()
    {
        var (certificates, _, _, _) = AnotherInstance();
        certificates.RecordIssued("clinic-a-01", "AAAA01", "0A01");
        certificates.RecordIssued("clinic-b-01", "BBBB01", "0B01");
        certificates.RecordIssued("clinic-a-01", "AAAA02", "0A02");
        Assert.Equal(["clinic-a-01", "clinic-b-01"], certificates.KnownDevices());
        Assert.Equal(["clinic-a-01", "clinic-b-01"], certificates.ActiveDevices());

        // Connecting with the older certificate supersedes nothing; with the newest, the older goes.
        Assert.Equal(0, certificates.SupersedeOlder("clinic-a-01", "AAAA01"));
        Assert.Equal(1, AnotherInstance().Certificates.SupersedeOlder("clinic-a-01", "aaaa02"));
        Assert.True(certificates.IsRevoked("AAAA01"));
        Assert.True(certificates.IsRevoked("aaaa01"));
        Assert.False(certificates.IsRevoked("AAAA02"));

        Assert.Equal(1, certificates.Revoke("clinic-b-01", "stolen"));
        Assert.Equal(0, AnotherInstance().Certificates.Revoke("clinic-b-01", "stolen again"));
        Assert.Equal(["clinic-a-01"], certificates.ActiveDevices());
        Assert.Equal(["clinic-a-01", "clinic-b-01"], certificates.KnownDevices());
        Assert.Equal(["0A01", "0B01"], certificates.RevokedSerials().Select(r => r.SerialNumber).Order());
        Assert.All(certificates.RevokedSerials(), r => Assert.Equal(Clock.GetUtcNow(), r.RevokedAt));
    }

    [Fact]
    public async Task ASigningKeyRingChangedByInstancesAtOnce_LosesNoChange()
    {
        var instances = Enumerable.Range(0, 4).Select(_ => AnotherInstance().Keys).ToList();
        using var start = new Barrier(instances.Count);
        await Task.WhenAll(instances.Select((keys, n) => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 50; i++)
            {
                var key = new DeviceSigningKey(Convert.ToBase64String(BitConverter.GetBytes(n * 100 + i).Concat(new byte[28]).ToArray()), SigningKeyState.Pending, Clock.GetUtcNow());
                keys.Update("clinic-a-01", ring => new DeviceSigningKeyRing([.. ring.Keys, key]));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        Assert.Equal(200, AnotherInstance().Keys.Ring("clinic-a-01").Keys.Count);
        Assert.Empty(instances[0].Ring("clinic-b-01").Keys);
        var unchanged = instances[0].Update("clinic-a-01", _ => null);
        Assert.Equal(200, unchanged.Keys.Count);
    }

    [Fact]
    public void SettingsAndStatuses_AreKeptPerDevice()
    {
        var (_, _, settings, statuses) = AnotherInstance();
        settings.Save("clinic-a-01", new Dictionary<string, string> { ["Gpio:CrossPolarisedPin"] = "17", ["Camera:Backend"] = "Rpicam" });
        Assert.Equal("17", AnotherInstance().Settings.Find("clinic-a-01")!["Gpio:CrossPolarisedPin"]);
        Assert.Null(settings.Find("clinic-b-01"));

        statuses.Save(new ReceivedStatus(new ApplianceStatus("clinic-a-01", ApplianceState.Online, "1.0.0", 0, Clock.GetUtcNow()), Clock.GetUtcNow()));
        statuses.Save(new ReceivedStatus(new ApplianceStatus("clinic-b-01", ApplianceState.Online, "1.0.0", 2, Clock.GetUtcNow()), Clock.GetUtcNow()));
        AnotherInstance().Statuses.Save(new ReceivedStatus(new ApplianceStatus("clinic-a-01", ApplianceState.Armed, "1.1.0", 1, Clock.GetUtcNow()), Clock.GetUtcNow()));
        var all = statuses.LoadAll().OrderBy(s => s.Status.DeviceId, StringComparer.Ordinal).ToList();
        Assert.Equal([("clinic-a-01", "1.1.0", ApplianceState.Armed), ("clinic-b-01", "1.0.0", ApplianceState.Online)], all.Select(s => (s.Status.DeviceId, s.Status.FirmwareVersion, s.Status.State)));
    }
}

public sealed class FileDeviceRegistryTests : DeviceRegistryContract, IDisposable
{
    private readonly TempFolder _folder = new("registry");

    protected override (IDeviceCertificates, IDeviceSigningKeys, IDeviceSettingsStore, IApplianceStatusStore) AnotherInstance()
    {
        var options = Options.Create(new HostDataOptions { DataFolder = _folder.Path });
        return (new FileDeviceCertificates(options, Clock), new FileDeviceSigningKeys(options, Options.Create(new ProvisioningOptions()), Clock),
            new FileDeviceSettingsStore(options), new FileApplianceStatusStore(options));
    }

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgreSqlDeviceRegistryTests(PostgresFixture postgres) : DeviceRegistryContract, IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    protected override (IDeviceCertificates, IDeviceSigningKeys, IDeviceSettingsStore, IApplianceStatusStore) AnotherInstance()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(source);
        var documents = new DeviceDocuments(source);
        return (new PostgreSqlDeviceCertificates(source, Clock), new PostgreSqlDeviceSigningKeys(documents), new PostgreSqlDeviceSettings(documents), new PostgreSqlApplianceStatuses(documents));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _sources.ForEach(s => s.Dispose());
}
