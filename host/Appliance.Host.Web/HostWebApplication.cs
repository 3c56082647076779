using Appliance.Host.Core;
using Appliance.Host.Core.Pacs;
using Appliance.Host.Core.Users;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Security;
using Appliance.Host.PostgreSql;
using Appliance.Protocol;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Web;

/// <summary>Builds the host: pages, core services and infrastructure. Used by <c>serve</c>, the demo and the tests alike.</summary>
public static partial class HostWebApplication
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
        // Before anything is written: the archive, key ring and files made by libraries are owner-only from birth.
        OwnerOnlyFiles.RestrictNewFiles();
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
        var provider = AddSharedState(builder);
        // Frames the PACS holds are read back from it (and with Images:Store=DicomWeb go only there), whichever store keeps the records.
        builder.Services.AddPacsArchive(builder.Configuration);
        var web = AddHttps(builder);
        AddSignIn(builder, provider);
        builder.AddDisclosure();
        builder.Services.AddRazorPages(o => o.Conventions
            .AuthorizeFolder("/Admin", AdminPolicy)
            .AuthorizeFolder("/Series", DermatologistPolicy)
            .AuthorizeFolder("/Clinic", ClinicPolicy)
            .AllowAnonymousToPage("/Account/Login"));
        builder.Services.AddHealthChecks();

        var app = builder.Build();
        SharedSecrets.EnsureComplete(app.Services.GetRequiredService<IOptions<HostDataOptions>>().Value, app.Services.GetRequiredService<IOptions<Appliance.Host.Core.Transfers.TransferOptions>>().Value);
        TightenDataFolder(app);
        if (web.AllowPlainHttp)
        {
            app.UseForwardedHeaders();
        }

        app.UseHsts();
        app.UseSecurityHeaders();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapDisclosure();
        return app;
    }

    /// <summary>
    /// <c>Archive:Provider</c>: <c>LiteDb</c> (the embedded default: files and one encrypted LiteDB
    /// in the data folder) or <c>PostgreSql</c> (the state host instances on several machines share).
    /// </summary>
    private static ArchiveProvider AddSharedState(WebApplicationBuilder builder)
    {
        var provider = builder.Configuration["Archive:Provider"] ?? nameof(ArchiveProvider.LiteDb);
        if (!Enum.TryParse<ArchiveProvider>(provider, ignoreCase: true, out var chosen))
        {
            throw new InvalidOperationException($"Archive:Provider '{provider}' is not one of {string.Join(", ", Enum.GetNames<ArchiveProvider>())}");
        }

        if (chosen == ArchiveProvider.PostgreSql)
        {
            builder.AddHostPostgreSql();
        }

        return chosen;
    }

    /// <summary>
    /// The pages over HTTPS with a certificate from the host's CA for <c>Web:ServerNames</c> (or
    /// the operator's), TLS 1.2 and 1.3 only, with HSTS; plain HTTP only when set for a reverse
    /// proxy on loopback, whose forwarded headers are then honoured from loopback alone.
    /// </summary>
    private static WebOptions AddHttps(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(WebOptions.Section);
        builder.Services.AddOptions<WebOptions>().Bind(section)
            .PostConfigure(o => o.Urls = builder.Configuration["urls"] ?? string.Empty)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WebCertificate>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = kestrel.ApplicationServices.GetRequiredService<WebCertificate>().Certificate;
            https.SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
        }));
        var web = section.Get<WebOptions>() ?? new WebOptions();
        builder.Services.AddHsts(o => o.MaxAge = web.HstsMaxAge);
        builder.Services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            o.KnownProxies.Add(System.Net.IPAddress.Loopback);
            o.KnownProxies.Add(System.Net.IPAddress.IPv6Loopback);
        });
        return web;
    }

    /// <summary>Data an older version (or a restore that kept no modes) left readable by others is made owner-only.</summary>
    private static void TightenDataFolder(WebApplication app)
    {
        var folder = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostDataOptions>>().Value.Resolve();
        var tightened = OwnerOnlyFiles.Tighten(folder);
        if (tightened > 0)
        {
            LogTightened(app.Logger, tightened, folder);
        }
    }

    /// <summary>
    /// Every page behind a signed-in user (the fallback policy). The session lives on the server
    /// (<see cref="SessionCookie"/>); the HTTP-only, same-site cookie only names it, and lapses
    /// anyway at the session's absolute lifetime. The cookie keys are kept in the data folder so
    /// a restart does not sign everyone out; in PostgreSQL when instances share one, so a cookie
    /// one instance made holds on every other.
    /// </summary>
    private static void AddSignIn(WebApplicationBuilder builder, ArchiveProvider provider)
    {
        var lifetime = builder.Configuration.GetSection(SessionLifetimeOptions.Section).GetValue(nameof(SessionLifetimeOptions.AbsoluteLifetime), new SessionLifetimeOptions().AbsoluteLifetime);
        var dataFolder = Path.GetFullPath(builder.Configuration.GetValue("Host:DataFolder", new HostDataOptions().DataFolder)!);
        var protection = builder.Services.AddDataProtection().SetApplicationName("appliance-host");
        if (provider == ArchiveProvider.PostgreSql)
        {
            builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
                new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgreSqlKeyRing(sp.GetRequiredService<Npgsql.NpgsqlDataSource>)));
        }
        else
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(OwnerOnlyFiles.CreateFolder(Path.Combine(dataFolder, "keys", "sessions"))));
        }
        SessionKeyProtection.AddTo(builder.Services);
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/Denied";
            // Idle time is the server's to judge (it sees every request); the cookie only carries the outer limit.
            o.ExpireTimeSpan = lifetime;
            o.SlidingExpiration = false;
            o.Cookie.Name = SessionCookie.Name;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Events.OnValidatePrincipal = SessionCookie.ValidateAsync;
        });
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AdminPolicy, p => p.RequireRole(UserRoles.Admin))
            .AddPolicy(DermatologistPolicy, p => p.RequireRole(UserRoles.Dermatologist))
            .AddPolicy(ClinicPolicy, p => p.RequireRole(UserRoles.Clinic, UserRoles.Dermatologist));
    }

    [LoggerMessage(EventId = 5701, Level = LogLevel.Warning, Message = "Made {Count} files and folders under {Folder} owner-only (they were readable by others)")]
    private static partial void LogTightened(ILogger logger, int count, string folder);
}
