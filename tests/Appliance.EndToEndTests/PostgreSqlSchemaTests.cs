using Appliance.Host.PostgreSql;
using Appliance.Host.Web;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Appliance.EndToEndTests.HostCli;

namespace Appliance.EndToEndTests;

/// <summary>
/// The PostgreSQL schema as an admin meets it: a host (command or <c>serve</c>) refuses a schema
/// it does not know, older, newer or altered, with the step to take; <c>migrate</c> brings an
/// empty database to this release's schema, is a no-op the second time, and refuses to touch a
/// newer one. Through the real <c>appliance-host</c> process and a real cluster.
/// </summary>
public sealed class PostgreSqlSchemaTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Migrate_BringsAnEmptyDatabaseToThisHostsSchema_AndTheHostRefusesAnyOther()
    {
        using var folder = new TempFolder("pg-schema");
        var connectionString = await postgres.DatabaseAsync();
        string[] settings = [$"--Host:DataFolder={folder.Path}", "--Archive:Provider=PostgreSql", $"--PostgreSql:ConnectionString={connectionString}"];

        // Nothing there yet: every command but migrate refuses, naming the step.
        var (exit, said) = await RunAsync(["audit", "verify", .. settings]);
        Assert.Equal(3, exit);
        Assert.Contains("run appliance-host migrate", said, StringComparison.Ordinal);
        Assert.False((await RunJsonAsync(1, ["migrate", "--check", "--json", .. settings])).GetProperty("upToDate").GetBoolean());

        var migrated = await RunJsonAsync(["migrate", "--json", .. settings]);
        Assert.True(migrated.GetProperty("upToDate").GetBoolean());
        var known = migrated.GetProperty("known").GetInt32();
        Assert.Equal(Enumerable.Range(1, known), migrated.GetProperty("applied").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Empty((await RunJsonAsync(["migrate", "--json", .. settings])).GetProperty("applied").EnumerateArray());

        // On the schema: the audit trail lives in the database, and verifies.
        Assert.Equal(0, (await RunAsync(["group", "clinic-pg-01", "canary", .. settings])).Exit);
        var audit = await RunJsonAsync(["audit", "verify", "--json", .. settings]);
        Assert.Equal((true, 1), (audit.GetProperty("intact").GetBoolean(), audit.GetProperty("entries").GetInt32()));
        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM audit_entries"));

        // A later release migrated this database: this one neither runs on it nor changes it.
        await ScalarAsync(connectionString, "INSERT INTO schema_migrations (version, name, sha256) VALUES (9999, 'from_a_later_release', 'x')");
        (exit, said) = await RunAsync(["audit", "verify", .. settings]);
        Assert.Equal(3, exit);
        Assert.Contains("has migration 9999 (from_a_later_release), which this host does not know", said, StringComparison.Ordinal);
        Assert.Contains("which this host does not know", (await RunJsonAsync(1, ["migrate", "--json", .. settings])).GetProperty("problem").GetString(), StringComparison.Ordinal);
        var serve = HostWebApplication.Create([.. settings, "--urls=https://127.0.0.1:0", "--Broker:ListenAddress=127.0.0.1", "--Broker:Port=0"]);
        await using (serve)
        {
            var refused = await Assert.ThrowsAsync<SchemaMismatchException>(() => serve.StartAsync());
            Assert.Contains("9999", refused.Message, StringComparison.Ordinal);
        }

        // A migration whose text changed after it was applied: the schema is not the one this host was written for.
        await ScalarAsync(connectionString, "DELETE FROM schema_migrations WHERE version = 9999");
        await ScalarAsync(connectionString, "UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1");
        Assert.Contains("was applied with other content", (await RunJsonAsync(1, ["migrate", "--check", "--json", .. settings])).GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateOnStart_LetsTheHostBringAnEmptyDatabaseUpItself()
    {
        using var folder = new TempFolder("pg-migrate-on-start");
        var connectionString = await postgres.DatabaseAsync();
        var host = await Appliance.Demo.EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Archive:Provider"] = "PostgreSql",
            ["PostgreSql:ConnectionString"] = connectionString,
            ["PostgreSql:MigrateOnStart"] = "true",
        });
        await host.DisposeAsync();

        await using var source = NpgsqlDataSource.Create(connectionString);
        Assert.True((await new SchemaMigrations(source).CheckAsync(CancellationToken.None)).UpToDate);
    }

    [Fact]
    public async Task AHostOnPostgreSql_SignsInAndOut_WithItsUsersSessionsAndAuditInTheDatabase()
    {
        using var folder = new TempFolder("pg-sign-in");
        var connectionString = await postgres.MigratedDatabaseAsync();
        var host = await Appliance.Demo.EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Archive:Provider"] = "PostgreSql",
            ["PostgreSql:ConnectionString"] = connectionString,
        });
        await using (host)
        {
            host.Services.GetRequiredService<Appliance.Host.Core.Users.UserService>().Add("derm.c", Appliance.Host.Core.Users.UserRoles.Dermatologist, "a long passphrase for tests", "admin");
            using var client = await Appliance.EndToEndKit.HostPages.SignInAsync(host, "derm.c", "a long passphrase for tests");
            Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM host_sessions WHERE user_name = 'derm.c' AND ended_at IS NULL"));
            using var signedOut = await Appliance.EndToEndKit.HostPages.SignOutAsync(client);
            Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM host_sessions WHERE user_name = 'derm.c' AND ended_at IS NOT NULL"));
        }

        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM host_users"));
        var kinds = new List<string>();
        await using (var source = NpgsqlDataSource.Create(connectionString))
        await using (var command = source.CreateCommand("SELECT kind FROM audit_entries ORDER BY sequence"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                kinds.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["user-added", "signed-in", "signed-out"], kinds);
        // Nothing of it went to the data folder.
        Assert.False(File.Exists(Path.Combine(folder.Path, "host", "users.json")));
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "host", "sessions")) && Directory.EnumerateFiles(Path.Combine(folder.Path, "host", "sessions")).Any());
        Assert.False(File.Exists(Path.Combine(folder.Path, "host", "audit", "audit.log")));
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var command = source.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
