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
    public static WebApplication CreateHost(string[] args) =>
        HostWebApplication.Create(args, builder => builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
