using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Appliance.Host.Web;

/// <summary>Section <c>Web</c>: how the host's pages are served.</summary>
public sealed class WebOptions : IValidatableObject
{
    public const string Section = "Web";

    /// <summary>
    /// Names (DNS or IP) staff type to reach the pages; they go into the certificate the host's CA
    /// issues for them (loopback is always added). Changing them issues a new certificate at the next start.
    /// </summary>
    public string[] ServerNames { get; set; } = ["localhost"];

    /// <summary>
    /// An operator's own certificate instead of one from the host's CA (say, from the trust's PKI):
    /// a PEM certificate (with <see cref="CertificateKeyPath"/>) or a PKCS#12 file.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>; empty for a PKCS#12 file.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>
    /// Serve the pages over plain HTTP. Only for a reverse proxy on this machine that terminates
    /// TLS: every plain HTTP address must then be loopback, and the proxy's X-Forwarded-For and
    /// X-Forwarded-Proto headers are honoured from loopback alone. Off by default.
    /// </summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>How long browsers are told to use HTTPS only for this host (Strict-Transport-Security).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "730.00:00:00")]
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary>The addresses the pages are served on (the host's <c>Urls</c> setting, copied here to be checked).</summary>
    public string Urls { get; set; } = string.Empty;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Kestrel serves http://localhost:5000 when no address is set: plain HTTP as well.
        var urls = string.IsNullOrWhiteSpace(Urls) ? ["http://localhost:5000"] : Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in urls)
        {
            var scheme = url.Split("://", 2)[0];
            if (scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!AllowPlainHttp)
            {
                yield return new ValidationResult(
                    $"The pages would be served over plain HTTP at {url}: patients' records and sign-in cookies must not cross a network in clear. Serve https:// addresses, or set Web:AllowPlainHttp=true only behind a reverse proxy on this machine that terminates TLS.",
                    [nameof(Urls)]);
            }
            else if (!IsLoopback(url))
            {
                yield return new ValidationResult(
                    $"Web:AllowPlainHttp is for a reverse proxy on this machine: {url} is not a loopback address (use http://127.0.0.1:PORT or http://[::1]:PORT).",
                    [nameof(Urls)]);
            }
        }
    }

    private static bool IsLoopback(string url)
    {
        var authority = url.Split("://", 2)[^1].Split('/')[0];
        var host = authority.StartsWith('[') ? authority[1..authority.IndexOf(']', StringComparison.Ordinal)] : authority.Split(':')[0];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}
