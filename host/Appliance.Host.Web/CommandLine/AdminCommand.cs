namespace Appliance.Host.Web.CommandLine;

/// <summary>The host's services for one admin command, run without serving.</summary>
internal static class AdminCommand
{
    /// <summary>
    /// Like <see cref="HostWebApplication.Create"/>, with every log line on standard error, so
    /// that standard output holds only the command's answer (the JSON a script parses).
    /// </summary>
    public static WebApplication CreateHost(string[] args) =>
        HostWebApplication.Create(args, builder => builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
