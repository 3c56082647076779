using System.CommandLine;
using Appliance.Host.PostgreSql;
using Appliance.Host.Web.CommandLine;

try
{
    return await HostCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is SchemaMismatchException or Appliance.Host.Infrastructure.Security.MissingSecretException)
{
    // Not a crash: the admin's next step is in the message (migrate, the release that knows the schema, or export the secrets).
    await Console.Error.WriteLineAsync(ex.Message);
    return 3;
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"Unhandled exception: {ex}");
    return 1;
}

/// <summary>Visible to WebApplicationFactory in tests.</summary>
public partial class Program;
