using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// The host never uses a schema it does not know (newer, older or altered): the data source every
/// store uses is handed out only by <see cref="Open"/>, after the check (and, with
/// <c>PostgreSql:MigrateOnStart</c>, the migration of an older schema). Stores are built before any
/// hosted service starts, so the check must sit in front of them, not in a start-up step. As the
/// first hosted service, this makes a host with no store in use yet check at start all the same.
/// </summary>
public sealed partial class SchemaGuard(NpgsqlDataSource checkedDatabase) : IHostedService
{
    public static NpgsqlDataSource Open(SchemaMigrations migrations, PostgreSqlOptions options, ILogger<SchemaGuard> logger)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(options);
        var state = migrations.CheckAsync(CancellationToken.None).GetAwaiter().GetResult();
        if (!state.UpToDate && options.MigrateOnStart)
        {
            var applied = migrations.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
            LogMigrated(logger, applied.Count, migrations.Known[^1].Version);
            state = migrations.CheckAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        return state.UpToDate ? NpgsqlDataSource.Create(options.ConnectionString) : throw new SchemaMismatchException(state.Problem!);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The data source the stores use; only ever one that passed the check.</summary>
    public NpgsqlDataSource Database => checkedDatabase;

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "PostgreSQL schema migrated at start: {Count} migrations applied, now at version {Version}")]
    private static partial void LogMigrated(ILogger logger, int count, int version);
}
