using Appliance.Host.Core;
using Appliance.Host.Infrastructure;

namespace Appliance.Host.Web;

/// <summary>Builds the host: pages, core services and infrastructure. Used by <c>serve</c>, the demo and the tests alike.</summary>
public static class HostWebApplication
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        builder.AddHostCore();
        builder.AddHostInfrastructure();
        builder.Services.AddRazorPages();
        builder.Services.AddHealthChecks();

        var app = builder.Build();
        app.UseStaticFiles();
        app.MapRazorPages();
        app.MapHealthChecks("/healthz");
        return app;
    }
}
