using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.TestData;

/// <summary>A CA that is not the host's, and client certificates from it: what a rogue device would hold.</summary>
public static class ForeignCertificates
{
    public static X509Certificate2 CreateClient(string commonName)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Somebody Else's CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return Issue(ca, commonName, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>
    /// A client certificate from the host's own CA (<paramref name="ca"/>, with its private key)
    /// whose validity has ended: a device that was never renewed. (Its validity has to sit inside
    /// the CA's, which a test CA began only minutes ago.)
    /// </summary>
    public static X509Certificate2 CreateExpiredClient(X509Certificate2 ca, string commonName)
    {
        var notBefore = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        var notAfter = DateTimeOffset.UtcNow.AddMinutes(-1);
        return Issue(ca, commonName, notBefore, notAfter > notBefore ? notAfter : notBefore.AddSeconds(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
