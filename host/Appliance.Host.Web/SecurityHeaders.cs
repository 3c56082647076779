using System.Security.Cryptography;

namespace Appliance.Host.Web;

/// <summary>
/// Headers on every response, whatever answers it (a page, a handler, the health check, a 404):
/// a content security policy that runs only the scripts and styles this response itself carries
/// (a fresh nonce each time, so injected markup runs nothing), no framing, no sniffing, no
/// referrer, and no copy kept by the browser of a shared clinic PC.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "csp-nonce";

    /// <summary>The nonce a page's own &lt;script&gt; and &lt;style&gt; elements carry.</summary>
    public static string CspNonce(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items[NonceKey] is not string nonce)
        {
            nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
            context.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var nonce = context.CspNonce();
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy =
                    $"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self'; connect-src 'self'; " +
                    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), usb=(), bluetooth=()";
                headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
            return next(context);
        });
}
