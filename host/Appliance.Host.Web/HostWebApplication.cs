using Appliance.Host.Core;
using Appliance.Host.Core.Users;
using Appliance.Host.Infrastructure;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;

namespace Appliance.Host.Web;

/// <summary>Builds the host: pages, core services and infrastructure. Used by <c>serve</c>, the demo and the tests alike.</summary>
public static class HostWebApplication
{
    /// <summary>Only admins reach the fleet pages.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Only dermatologists reach patients' series and images.</summary>
    public const string DermatologistPolicy = "dermatologist";

    /// <summary>Clinic staff (and dermatologists, who capture too) create capture jobs and follow them.</summary>
    public const string ClinicPolicy = "clinic";

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
        AddSignIn(builder);
        builder.Services.AddRazorPages(o => o.Conventions
            .AuthorizeFolder("/Admin", AdminPolicy)
            .AuthorizeFolder("/Series", DermatologistPolicy)
            .AuthorizeFolder("/Clinic", ClinicPolicy)
            .AllowAnonymousToPage("/Account/Login"));
        builder.Services.AddHealthChecks();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapHealthChecks("/healthz").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Every page behind a signed-in user (the fallback policy), sessions in an HTTP-only,
    /// same-site cookie that lapses after <c>Session:IdleTimeout</c> without use, and the cookie
    /// keys kept in the data folder so a restart does not sign everyone out.
    /// </summary>
    private static void AddSignIn(WebApplicationBuilder builder)
    {
        var idle = builder.Configuration.GetValue("Session:IdleTimeout", TimeSpan.FromMinutes(30));
        var dataFolder = Path.GetFullPath(builder.Configuration.GetValue("Host:DataFolder", new HostDataOptions().DataFolder)!);
        builder.Services.AddDataProtection()
            .SetApplicationName("appliance-host")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataFolder, "keys", "sessions")));
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/Denied";
            o.ExpireTimeSpan = idle;
            o.SlidingExpiration = true;
            o.Cookie.Name = "appliance-host";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AdminPolicy, p => p.RequireRole(UserRoles.Admin))
            .AddPolicy(DermatologistPolicy, p => p.RequireRole(UserRoles.Dermatologist))
            .AddPolicy(ClinicPolicy, p => p.RequireRole(UserRoles.Clinic, UserRoles.Dermatologist));
    }
}
