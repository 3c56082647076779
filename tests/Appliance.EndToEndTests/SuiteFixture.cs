using System.Security.Cryptography.X509Certificates;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Logging;
using MQTTnet;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>One embedded suite (host, broker, simulated appliance) on loopback, with every log entry captured.</summary>
public class SuiteFixture : IAsyncLifetime
{
    private readonly TempFolder _folder = new("appliance-suite");

    public EmbeddedSuite Suite { get; private set; } = null!;

    private bool Started => Suite is not null;

    public CapturedLogs Logs { get; } = new();

    public int BrokerPort => Suite.HostService<EmbeddedMqttBroker>().BoundPort;

    public async Task InitializeAsync() =>
        Suite = await EmbeddedSuite.StartAsync(_folder.Path, logLevel: LogLevel.Information, logging: l => l.AddProvider(Logs), hostSettings: await StartStateAsync());

    /// <summary>Where the host keeps its state, started first: null for the data folder (LiteDB and files).</summary>
    protected virtual Task<IReadOnlyDictionary<string, string?>?> StartStateAsync() => Task.FromResult<IReadOnlyDictionary<string, string?>?>(null);

    /// <summary>Every folder patient data could reach on disk, flushed there first.</summary>
    public virtual Task<IReadOnlyList<string>> FoldersHoldingStateAsync() => Task.FromResult<IReadOnlyList<string>>([Suite.DataRoot]);

    public async Task DisposeAsync()
    {
        if (Started)
        {
            await Suite.DisposeAsync();
        }

        await StopStateAsync();
        _folder.Dispose();
        // Shared by a class's tests: an error nobody expected fails the class.
        Logs.ThrowIfUnexpectedErrors();
    }

    protected virtual Task StopStateAsync() => Task.CompletedTask;

    /// <summary>Provisions another device on the host and returns its client certificate and the CA.</summary>
    public (X509Certificate2 Certificate, X509Certificate2 Ca) ProvisionOther(string deviceId)
    {
        var bundle = Suite.HostService<DeviceProvisioner>().Provision(deviceId, "127.0.0.1", BrokerPort);
        return (MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem), MutualTls.LoadCertificate(bundle.CaCertificatePem));
    }

    /// <summary>Connects a raw MQTT client; null when the broker (or TLS) refused it.</summary>
    public Task<IMqttClient?> TryConnectAsync(string clientId, X509Certificate2? certificate) =>
        MqttTestClient.TryConnectAsync(BrokerPort, clientId, certificate);
}

/// <summary>The same suite with the host's shared state in a throwaway PostgreSQL cluster of its own.</summary>
public sealed class PostgreSqlSuiteFixture : SuiteFixture
{
    private PostgresServer? _server;
    private string _connectionString = string.Empty;

    protected override async Task<IReadOnlyDictionary<string, string?>?> StartStateAsync()
    {
        _server = await PostgresServer.StartAsync();
        _connectionString = await _server.CreateDatabaseAsync("journey");
        return new Dictionary<string, string?>
        {
            ["Archive:Provider"] = "PostgreSql",
            ["PostgreSql:ConnectionString"] = _connectionString,
            ["PostgreSql:MigrateOnStart"] = "true",
        };
    }

    public override async Task<IReadOnlyList<string>> FoldersHoldingStateAsync()
    {
        await using (var database = NpgsqlDataSource.Create(_connectionString))
        {
            await database.CreateCommand("CHECKPOINT").ExecuteNonQueryAsync(); // the tables' pages on disk, not only the write-ahead log
        }

        return [Suite.DataRoot, _server!.DataFolder];
    }

    protected override async Task StopStateAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
