using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// The host as certificate authority. On first start it makes its CA, the broker's server
/// certificate and the host's own client certificate in <c>ca/</c> (owner-only files);
/// afterwards it loads them. Where instances share a secrets folder, all of them (each
/// instance's client certificate too) are read from its <c>ca/</c> and never made: every
/// instance then issues under the one CA and the broker's ACL names every instance. Everything
/// is ECDSA P-256 with SHA-256 signatures.
/// </summary>
public sealed class FileCertificateAuthority : ICertificateAuthority, IDisposable
{
    /// <summary>The CN of the host's own MQTT client. Contains a dot, so it can never be a device id.</summary>
    public const string HostClientId = "host.appliance-suite";

    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(730);
    private readonly TimeProvider _time;
    private readonly HostDataOptions _data;
    private readonly string _folder;
    private readonly Lock _instances = new();

    public FileCertificateAuthority(IOptions<HostDataOptions> data, IOptions<Messaging.BrokerOptions> broker, TimeProvider time)
    {
        _time = time;
        _data = data.Value;
        var folder = _folder = _data.Secret("ca");
        Ca = LoadOrCreate("ca.pfx", CreateCa);
        ServerCertificate = LoadOrCreate("server.pfx", () => IssueServer(broker.Value.ServerNames));
        HostClientCertificate = LoadOrCreate("host-client.pfx", () => IssueClient(HostClientId));
        CaCertificatePem = Ca.ExportCertificatePem();
        // The public half, for IT to install on clinic workstations (so browsers trust the pages) and on appliances.
        var caPem = Path.Combine(folder, "ca.pem");
        if (!_data.SharesSecrets && !File.Exists(caPem))
        {
            SecureFiles.WriteAllBytes(caPem, System.Text.Encoding.ASCII.GetBytes(CaCertificatePem));
        }
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 ServerCertificate { get; }

    public X509Certificate2 HostClientCertificate { get; }

    public string CaCertificatePem { get; }

    /// <summary>
    /// The host client certificate for <paramref name="clientId"/>: the default instance's, or one
    /// of its own for each further host instance (CN = its client id), so that a broker that takes
    /// the client id from the certificate (mosquitto's <c>use_username_as_clientid</c>) tells them apart.
    /// </summary>
    public X509Certificate2 HostClientCertificateFor(string clientId)
    {
        if (clientId == HostClientId)
        {
            return HostClientCertificate;
        }

        if (!clientId.StartsWith(HostClientId + ".", StringComparison.Ordinal) || !DeviceId.IsValid(clientId[(HostClientId.Length + 1)..]))
        {
            throw new ArgumentException($"'{clientId}' is not a host instance's client id", nameof(clientId));
        }

        lock (_instances)
        {
            return LoadOrCreate($"host-client.{clientId[(HostClientId.Length + 1)..]}.pfx", () => IssueClient(clientId));
        }
    }

    /// <summary>The client ids of every host instance given a certificate here (for an external broker's ACL).</summary>
    public IReadOnlyList<string> HostClientIds() =>
        [HostClientId, .. Directory.EnumerateFiles(_folder, "host-client.*.pfx")
            .Select(p => Path.GetFileName(p)["host-client.".Length..^".pfx".Length])
            .Where(DeviceId.IsValid)
            .Order(StringComparer.Ordinal)
            .Select(instance => $"{HostClientId}.{instance}")];

    public IssuedCredential IssueDeviceCertificate(string deviceId)
    {
        DeviceId.EnsureValid(deviceId);
        using var cert = IssueClient(deviceId);
        using var key = cert.GetECDsaPrivateKey()!;
        return new IssuedCredential(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), cert.Thumbprint, cert.SerialNumber);
    }

    /// <summary>
    /// A certificate revocation list signed by the CA, for an external broker (mosquitto's
    /// <c>crlfile</c>); the embedded broker reads the revocation list directly instead.
    /// </summary>
    public string CreateRevocationListPem(IEnumerable<(string SerialNumber, DateTimeOffset RevokedAt)> revoked, BigInteger crlNumber, TimeSpan lifetime)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var (serial, at) in revoked)
        {
            builder.AddEntry(Convert.FromHexString(serial), at, X509RevocationReason.KeyCompromise);
        }

        var now = _time.GetUtcNow();
        var crl = builder.Build(Ca, crlNumber, now + lifetime, HashAlgorithmName.SHA256, thisUpdate: now.AddMinutes(-5));
        return PemEncoding.WriteString("X509 CRL", crl);
    }

    /// <summary>The broker's server certificate and its key as PEM, for an external broker.</summary>
    public (string CertificatePem, string KeyPem) ServerCredentialPem()
    {
        using var key = ServerCertificate.GetECDsaPrivateKey()!;
        return (ServerCertificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ApplianceSuite Host CA, O=ApplianceSuite", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = _time.GetUtcNow();
        return request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime);
    }

    /// <summary>
    /// A TLS server certificate for the host's pages, for <paramref name="names"/> (and loopback),
    /// with its private key; valid for <paramref name="lifetime"/>.
    /// </summary>
    public X509Certificate2 IssueWebServerCertificate(IEnumerable<string> names, TimeSpan lifetime) =>
        Issue("appliance-host", MutualTls.ServerAuthOid, SubjectAlternativeNames(names), lifetime);

    private X509Certificate2 IssueServer(IEnumerable<string> names) =>
        Issue("appliance-broker", MutualTls.ServerAuthOid, SubjectAlternativeNames(names), LeafLifetime);

    private static X509Extension SubjectAlternativeNames(IEnumerable<string> names)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        foreach (var name in names.Append("localhost").Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        return san.Build();
    }

    private X509Certificate2 IssueClient(string commonName) => Issue(commonName, MutualTls.ClientAuthOid, null, LeafLifetime);

    private X509Certificate2 Issue(string commonName, string usageOid, X509Extension? san, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        subject.AddOrganizationName("ApplianceSuite");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var now = _time.GetUtcNow();
        using var issued = request.Create(Ca, now.AddMinutes(-5), now + lifetime, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so the key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private X509Certificate2 LoadOrCreate(string name, Func<X509Certificate2> create)
    {
        var path = Path.Combine(_folder, name);
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, null);
        }

        if (_data.SharesSecrets)
        {
            throw MissingSecretException.For(_data, "ca", name);
        }

        using var created = create();
        var pfx = created.Export(X509ContentType.Pkcs12);
        SecureFiles.WriteAllBytes(path, pfx);
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }

    public void Dispose()
    {
        Ca.Dispose();
        ServerCertificate.Dispose();
        HostClientCertificate.Dispose();
    }
}
