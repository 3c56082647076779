using System.Security.Claims;
using Appliance.Host.Core.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Appliance.Host.Web;

/// <summary>
/// The session cookie carries the secret of a session the host keeps (<see cref="HostSessions"/>),
/// and is worth nothing without it: every request checks that session, so sign-out, a password
/// or role change, disabling and "sign out everywhere" end every copy of the cookie at once.
/// </summary>
public static class SessionCookie
{
    public const string Name = "appliance-host";

    /// <summary>The claim holding the session's secret.</summary>
    public const string SecretClaim = "appliance:session";

    /// <summary>Signs <paramref name="user"/> in with a new server-side session.</summary>
    public static async Task SignInAsync(HttpContext context, HostUser user)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(user);
        var (_, secret) = context.RequestServices.GetRequiredService<HostSessions>().Start(user, ClientAddress(context));
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(SecretClaim, secret)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>Ends this cookie's session on the server, then removes the cookie from the browser.</summary>
    public static async Task SignOutAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.RequestServices.GetRequiredService<HostSessions>()
            .SignOut(context.User.FindFirstValue(SecretClaim), context.User.Identity?.Name ?? "unknown");
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    /// <summary>Cookie events: a cookie whose session no longer stands signs nobody in.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = context.HttpContext.RequestServices.GetRequiredService<HostSessions>()
            .Check(context.Principal?.FindFirstValue(SecretClaim));
        if (state != SessionState.Active)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>The address the request came from (the client's, when a trusted reverse proxy forwarded it).</summary>
    public static string ClientAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.Connection.RemoteIpAddress;
        return address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
