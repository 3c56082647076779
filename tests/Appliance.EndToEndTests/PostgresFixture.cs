using Appliance.Host.PostgreSql;
using Appliance.TestFixtures;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>One throwaway PostgreSQL cluster for a test class; each test takes a database of its own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("the cluster has not started");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    /// <summary>A fresh, empty database.</summary>
    public Task<string> DatabaseAsync() => Server.CreateDatabaseAsync($"test_{Guid.NewGuid():N}");

    /// <summary>A fresh database with this host's schema applied.</summary>
    public async Task<string> MigratedDatabaseAsync()
    {
        var connectionString = await DatabaseAsync();
        await using var source = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrations(source).MigrateAsync(CancellationToken.None);
        return connectionString;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
