using System.Security.Cryptography;
using Appliance.Host.Core.Audit;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Provisioning;

/// <summary>A certificate and its private key, PEM encoded.</summary>
public sealed record IssuedCredential(string CertificatePem, string PrivateKeyPem, string Thumbprint, string SerialNumber);

/// <summary>The host's certificate authority: the only issuer the broker and appliances trust.</summary>
public interface ICertificateAuthority
{
    string CaCertificatePem { get; }

    /// <summary>A client certificate (ECDSA P-256, SHA-256, client auth) whose CN is the device id.</summary>
    IssuedCredential IssueDeviceCertificate(string deviceId);
}

/// <summary>The certificates issued to each device, and which of them are revoked.</summary>
public interface IDeviceCertificates
{
    void RecordIssued(string deviceId, string thumbprint, string serialNumber);

    /// <summary>Every device ever issued a certificate here, revoked or not.</summary>
    IReadOnlyList<string> KnownDevices();

    /// <summary>Devices holding at least one certificate that is not revoked: the fleet an external broker's ACL lists.</summary>
    IReadOnlyList<string> ActiveDevices();

    /// <summary>Serial numbers (hex) of revoked certificates and when each was revoked: what a CRL lists.</summary>
    IReadOnlyList<(string SerialNumber, DateTimeOffset RevokedAt)> RevokedSerials();

    /// <summary>Revokes every certificate issued to the device so far; returns how many were newly revoked.</summary>
    int Revoke(string deviceId, string reason);

    bool IsRevoked(string thumbprint);
}

/// <summary>
/// Builds a provisioning bundle: device certificate and key, the CA, the host's sealing key,
/// the broker address, a fresh store secret and a fresh signing key (whose public half the
/// host registers). (Enrolment codes, rotation and the device
/// registry come with the fleet work.)
/// </summary>
public sealed partial class DeviceProvisioner(
    ICertificateAuthority ca,
    IHostSealingKey sealingKey,
    IHostSigningKey hostSigningKey,
    IDeviceSigningKeys signingKeys,
    IDeviceCertificates certificates,
    IAuditTrail audit,
    ILogger<DeviceProvisioner> logger)
{
    public ProvisioningBundle Provision(string deviceId, string brokerHost, int brokerPort)
    {
        DeviceId.EnsureValid(deviceId);
        var credential = ca.IssueDeviceCertificate(deviceId);
        certificates.RecordIssued(deviceId, credential.Thumbprint, credential.SerialNumber);
        // The device signs its series; the host keeps only the public half, to check them.
        var (signingPrivate, signingPublic) = SeriesSigning.CreateKeyPair();
        signingKeys.Register(deviceId, signingPublic);
        var bundle = new ProvisioningBundle(
            ProvisioningBundle.CurrentVersion,
            deviceId,
            credential.CertificatePem,
            credential.PrivateKeyPem,
            ca.CaCertificatePem,
            Convert.ToBase64String(sealingKey.PublicKey),
            brokerHost,
            brokerPort,
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            Convert.ToBase64String(signingPrivate),
            Convert.ToBase64String(hostSigningKey.PublicKey));
        LogProvisioned(logger, deviceId, credential.Thumbprint);
        audit.Append(AuditKinds.DeviceProvisioned, "host", deviceId, $"certificate {credential.Thumbprint}");
        return bundle;
    }

    /// <summary>
    /// Revokes every certificate the device was given (a stolen or retired appliance): the
    /// broker refuses them from the next connection on. Provisioning it again issues a new one.
    /// </summary>
    public int Revoke(string deviceId, string reason)
    {
        DeviceId.EnsureValid(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var revoked = certificates.Revoke(deviceId, reason);
        LogRevoked(logger, deviceId, revoked, reason);
        audit.Append(AuditKinds.DeviceRevoked, "host", deviceId, $"{revoked} certificates: {reason}");
        return revoked;
    }

    /// <summary>Writes a bundle readable by its owner only: it holds the device's private key.</summary>
    public static void WriteBundle(ProvisioningBundle bundle, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(ProtocolJson.Serialize(bundle));
    }

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "Revoked {Count} certificates of {DeviceId}: {Reason}")]
    private static partial void LogRevoked(ILogger logger, string deviceId, int count, string reason);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Provisioned {DeviceId} with certificate {Thumbprint}")]
    private static partial void LogProvisioned(ILogger logger, string deviceId, string thumbprint);
}
