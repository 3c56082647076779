using System.Net;
using System.Security.Cryptography.X509Certificates;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Web;

/// <summary>
/// The certificate the pages are served with: the operator's from configuration, or one the host's
/// CA issues for <c>Web:ServerNames</c>, kept in <c>ca/web.pfx</c> and issued again when the names
/// change or it is within 30 days of expiry. Browsers trust it once IT installs <c>ca/ca.pem</c>
/// on the clinic's workstations.
/// </summary>
public sealed class WebCertificate : IDisposable
{
    /// <summary>Under the 398 days browsers accept for a server certificate.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(397);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    public WebCertificate(IOptions<WebOptions> web, IOptions<HostDataOptions> data, FileCertificateAuthority ca, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(web);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(ca);
        var o = web.Value;
        if (!string.IsNullOrEmpty(o.CertificatePath))
        {
            if (string.IsNullOrEmpty(o.CertificateKeyPath))
            {
                Certificate = X509CertificateLoader.LoadPkcs12FromFile(o.CertificatePath, null);
            }
            else
            {
                // Through PKCS#12, so SslStream on Linux can use the key.
                using var pem = X509Certificate2.CreateFromPemFile(o.CertificatePath, o.CertificateKeyPath);
                Certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }

            IssuedByHost = false;
            return;
        }

        var path = data.Value.Resolve("ca", "web.pfx");
        var now = time.GetUtcNow();
        if (File.Exists(path))
        {
            var kept = X509CertificateLoader.LoadPkcs12FromFile(path, null);
            if (kept.NotAfter.ToUniversalTime() - now.UtcDateTime > RenewBefore && Covers(kept, o.ServerNames))
            {
                Certificate = kept;
                IssuedByHost = true;
                return;
            }

            kept.Dispose();
        }

        using var issued = ca.IssueWebServerCertificate(o.ServerNames, Lifetime);
        var pfx = issued.Export(X509ContentType.Pkcs12);
        SecureFiles.WriteAllBytes(path, pfx);
        Certificate = X509CertificateLoader.LoadPkcs12(pfx, null);
        IssuedByHost = true;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>False when the operator's own certificate is in use.</summary>
    public bool IssuedByHost { get; }

    public void Dispose() => Certificate.Dispose();

    private static bool Covers(X509Certificate2 certificate, IEnumerable<string> names)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var dns = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().ToHashSet();
        return names.All(n => IPAddress.TryParse(n, out var ip) ? ips.Contains(ip) : dns.Contains(n));
    }
}
