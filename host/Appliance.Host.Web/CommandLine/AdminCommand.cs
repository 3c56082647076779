using System.CommandLine;
using System.Text.Json;

namespace Appliance.Host.Web.CommandLine;

/// <summary>What every admin command shares: the host's services run without serving, and <c>--json</c> output for scripts.</summary>
internal static class AdminCommand
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print the result as JSON, for scripts." };

    /// <summary>
    /// Like <see cref="HostWebApplication.Create"/>, with every log line on standard error, so
    /// that standard output holds only the command's answer (the JSON a script parses).
    /// </summary>
    /// <param name="checkSchema">
    /// Refuse a PostgreSQL schema that is not this host's, as <c>serve</c> does at start (commands
    /// start no hosted service, so they check here); off only for <c>migrate</c>.
    /// </param>
    public static WebApplication CreateHost(string[] args, bool checkSchema = true)
    {
        var app = HostWebApplication.Create(args, builder => builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        if (checkSchema && app.Services.GetService<Appliance.Host.PostgreSql.SchemaMigrations>() is not null)
        {
            // Handed out only after the check: throws SchemaMismatchException on a schema this release does not know.
            app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        }

        return app;
    }
}
