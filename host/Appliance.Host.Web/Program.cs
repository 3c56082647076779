using Appliance.Host.Web.CommandLine;

return await HostCommandLine.Build().Parse(args).InvokeAsync();

/// <summary>Visible to WebApplicationFactory in tests.</summary>
public partial class Program;
