using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// Runs first among the hosted services: the host does not start on a schema it does not know
/// (newer, older or altered). With <c>PostgreSql:MigrateOnStart</c> an older one is migrated instead.
/// </summary>
public sealed partial class SchemaGuard(SchemaMigrations migrations, IOptions<PostgreSqlOptions> options, ILogger<SchemaGuard> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var state = await migrations.CheckAsync(cancellationToken);
        if (!state.UpToDate && options.Value.MigrateOnStart)
        {
            var applied = await migrations.MigrateAsync(cancellationToken);
            LogMigrated(logger, applied.Count, migrations.Known[^1].Version);
            state = await migrations.CheckAsync(cancellationToken);
        }

        if (!state.UpToDate)
        {
            throw new SchemaMismatchException(state.Problem!);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "PostgreSQL schema migrated at start: {Count} migrations applied, now at version {Version}")]
    private static partial void LogMigrated(ILogger logger, int count, int version);
}
