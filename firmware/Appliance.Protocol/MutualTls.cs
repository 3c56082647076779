using System.Security.Cryptography.X509Certificates;

namespace Appliance.Protocol;

/// <summary>
/// The trust rules both ends of the MQTT link apply: a peer certificate is good only if it
/// chains to our own CA (never the OS store), is in date, and is for the right purpose.
/// </summary>
public static class MutualTls
{
    /// <summary>OID of TLS client authentication in Extended Key Usage.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>OID of TLS server authentication in Extended Key Usage.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Checks that <paramref name="certificate"/> chains to <paramref name="ca"/> alone.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca, string requiredUsageOid, DateTimeOffset now, out string reason)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        // Revocation is the host's list, checked at connect by the broker; there is no CRL endpoint to fetch.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(requiredUsageOid));
        if (!chain.Build(certificate))
        {
            reason = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("chain does not build"));
            return false;
        }

        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span))
        {
            reason = "certificate does not chain to this system's CA";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// Loads a certificate and its private key from PEM. Round-trips through PKCS#12 because
    /// SslStream on Linux cannot use an ephemeral key from <c>CreateFromPem</c> directly.
    /// </summary>
    public static X509Certificate2 LoadWithKey(string certificatePem, string privateKeyPem)
    {
        using var ephemeral = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem);
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    public static X509Certificate2 LoadCertificate(string certificatePem) => X509Certificate2.CreateFromPem(certificatePem);

    /// <summary>The certificate's common name, which is also the MQTT client id.</summary>
    public static string CommonName(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
}
