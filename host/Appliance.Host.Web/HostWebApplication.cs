using Appliance.Host.Core;
using Appliance.Host.Infrastructure;

namespace Appliance.Host.Web;

/// <summary>Builds the host: pages, core services and infrastructure. Used by <c>serve</c>, the demo and the tests alike.</summary>
public static class HostWebApplication
{
    /// <param name="args">Command-line configuration (<c>--Section:Key=value</c>).</param>
    /// <param name="configure">Extra configuration and services, applied before the host's own.</param>
    /// <param name="contentRoot">Where <c>appsettings.json</c> is read from; the program's folder by default.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Pages are found in the application's assembly: name it, so the demo and tests (other entry points) serve them too.
            ApplicationName = typeof(HostWebApplication).Assembly.GetName().Name,
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        builder.AddHostCore();
        builder.AddHostInfrastructure();
        builder.Services.AddRazorPages();
        builder.Services.AddHealthChecks();

        var app = builder.Build();
        app.MapRazorPages();
        app.MapHealthChecks("/healthz");
        return app;
    }
}
