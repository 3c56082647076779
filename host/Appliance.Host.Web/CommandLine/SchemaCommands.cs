using System.CommandLine;
using System.Text.Json;
using Appliance.Host.PostgreSql;

namespace Appliance.Host.Web.CommandLine;

/// <summary><c>migrate [--check]</c>: brings the PostgreSQL schema to the version this host release carries.</summary>
public static class SchemaCommands
{
    public static Command Migrate()
    {
        var check = new Option<bool>("--check") { Description = "Only say where the schema stands: exit 0 if it is this host's, 1 if not." };
        var json = AdminCommand.JsonOption();
        var command = new Command("migrate", "Apply the PostgreSQL schema's missing migrations (Archive:Provider = PostgreSql); a newer or altered schema is refused, nothing changed.") { check, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens], checkSchema: false);
            if (app.Services.GetService<SchemaMigrations>() is not { } migrations)
            {
                await Console.Error.WriteLineAsync("Archive:Provider is LiteDb: the host keeps its state in its data folder, and there is no schema to migrate.");
                return 2;
            }

            IReadOnlyList<Migration> applied = [];
            string? refused = null;
            try
            {
                if (!parseResult.GetValue(check))
                {
                    applied = await migrations.MigrateAsync(cancellationToken);
                }
            }
            catch (InvalidOperationException ex)
            {
                refused = ex.Message;
            }

            var state = await migrations.CheckAsync(cancellationToken);
            await Console.Out.WriteLineAsync(parseResult.GetValue(json)
                ? JsonSerializer.Serialize(new { upToDate = state.UpToDate, version = state.Applied, known = state.Known, applied = applied.Select(m => m.Version), problem = refused ?? state.Problem }, AdminCommand.Json)
                : state.UpToDate
                    ? $"Schema at version {state.Applied}{(applied.Count > 0 ? $": applied {string.Join(", ", applied.Select(m => $"{m.Version} ({m.Name})"))}" : ", nothing to apply")}."
                    : $"Schema not this host's: {refused ?? state.Problem}");
            return state.UpToDate && refused is null ? 0 : 1;
        });
        return command;
    }
}
