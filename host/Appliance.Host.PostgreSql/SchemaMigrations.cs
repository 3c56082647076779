using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>One versioned step of the schema: <c>Migrations/NNNN_name.sql</c>, embedded in this assembly.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>Where the database's schema stands against the migrations this host carries: null problem when they agree.</summary>
public sealed record SchemaState(int Applied, int Known, string? Problem)
{
    public bool UpToDate => Problem is null;
}

/// <summary>
/// The schema's versioned SQL migrations: applied in order by <c>migrate</c>, each in its own
/// transaction with its record in <c>schema_migrations</c> (version, name, SHA-256 of its text),
/// under an advisory lock so two instances migrating at once take turns; and checked at every
/// start, so a host never runs on a schema it does not know: newer (a later release migrated),
/// older (not migrated yet), or a migration whose text changed after it was applied.
/// </summary>
public sealed class SchemaMigrations(NpgsqlDataSource database)
{
    /// <summary>The key of the data source migrations use, apart from the stores' (which is handed out only once the schema passed).</summary>
    public const string DataSourceKey = "schema";

    /// <summary>The advisory lock migrations take (an arbitrary constant, "ASmigr").</summary>
    private const long MigrationLock = 0x4153_6D69_6772;

    private readonly Lazy<List<Migration>> _known = new(Load);

    public IReadOnlyList<Migration> Known => _known.Value;

    public async Task<SchemaState> CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return Compare(await AppliedAsync(connection, cancellationToken));
    }

    /// <summary>Applies every known migration the database lacks; the ones applied now.</summary>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await Execute(connection, null, $"SELECT pg_advisory_lock({MigrationLock})", cancellationToken);
        try
        {
            await Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            // A newer or altered schema is not this host's to change.
            if (Compare(applied) is { Problem: { } problem } && !problem.StartsWith(BehindPrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(problem);
            }

            var done = new List<Migration>();
            foreach (var migration in Known.Where(m => !applied!.ContainsKey(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, transaction, migration.Sql, cancellationToken);
                await using (var record = Sql.Command(connection, transaction, "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", migration.Version, migration.Name, migration.Sha256))
                {
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                done.Add(migration);
            }

            return done;
        }
        finally
        {
            await Execute(connection, null, $"SELECT pg_advisory_unlock({MigrationLock})", CancellationToken.None);
        }
    }

    private const string BehindPrefix = "the database's schema is behind";

    private SchemaState Compare(Dictionary<int, (string Name, string Sha256)>? applied)
    {
        var known = Known.Count == 0 ? 0 : Known[^1].Version;
        if (applied is null)
        {
            return new(0, known, $"{BehindPrefix}: it has no schema yet; run appliance-host migrate");
        }

        var top = applied.Count == 0 ? 0 : applied.Keys.Max();
        if (applied.Keys.FirstOrDefault(v => Known.All(m => m.Version != v)) is var unknown and > 0)
        {
            return new(top, known, $"the database's schema has migration {unknown} ({applied[unknown].Name}), which this host does not know (it knows up to {known}): run the release that applied it, or a later one");
        }

        if (Known.FirstOrDefault(m => applied.TryGetValue(m.Version, out var a) && a.Sha256 != m.Sha256) is { } altered)
        {
            return new(top, known, $"migration {altered.Version} ({altered.Name}) was applied with other content than this host carries: the schema is not the one it was written for");
        }

        return Known.FirstOrDefault(m => !applied.ContainsKey(m.Version)) is { } missing
            ? new(top, known, $"{BehindPrefix}: it lacks migration {missing.Version} ({missing.Name}) of the {known} this host needs; run appliance-host migrate")
            : new(top, known, null);
    }

    /// <summary>The migrations recorded as applied, or null when the database has no record at all.</summary>
    private static async Task<Dictionary<int, (string Name, string Sha256)>?> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return null;
            }
        }

        var applied = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand("SELECT version, name, sha256 FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> Load()
    {
        var assembly = typeof(SchemaMigrations).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = Path.GetFileNameWithoutExtension(resource);
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(int.Parse(file[..underscore], System.Globalization.CultureInfo.InvariantCulture), file[(underscore + 1)..], text.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        return migrations;
    }
}

/// <summary>The database's schema is not the one this host release was written for: the host does not start on it.</summary>
public sealed class SchemaMismatchException(string problem) : InvalidOperationException($"PostgreSQL: {problem}");
