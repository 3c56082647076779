using System.Security.Cryptography;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Orders;
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

    /// <summary>
    /// When a device connects with the newest certificate issued to it, revokes the older ones
    /// (a rotation or re-provisioning is complete); returns how many. Nothing if it is not the newest.
    /// </summary>
    int SupersedeOlder(string deviceId, string thumbprint);
}

/// <summary>The settings each appliance was last provisioned with, so a rotation keeps its pin map.</summary>
public interface IDeviceSettingsStore
{
    void Save(string deviceId, IReadOnlyDictionary<string, string> settings);

    IReadOnlyDictionary<string, string>? Find(string deviceId);
}

/// <summary>Why an appliance is being given credentials; each checks the fleet's state first.</summary>
public enum ProvisioningKind
{
    /// <summary>A device id never used here.</summary>
    New,

    /// <summary>New certificate and keys for an appliance in service; its old certificate is revoked once the new one connects.</summary>
    Rotate,

    /// <summary>An appliance known here, revoked or wiped (repaired, re-imaged, back from loss): credentials afresh.</summary>
    Reprovision,
}

/// <summary>A bundle sealed for enrolment, and the code that opens it (shown once to the admin, never stored).</summary>
public sealed record ProvisioningResult(string DeviceId, ProvisioningKind Kind, EnrolmentPackage Package, string EnrolmentCode);

/// <summary>
/// Builds a provisioning bundle: device certificate and key, the CA, the host's sealing key and
/// receipt/order signing key, the broker address, a fresh store secret and a fresh signing key
/// (whose public half the host registers as pending: see <see cref="DeviceSigningKeyRing"/>),
/// and seals it for enrolment under a one-time code.
/// </summary>
public sealed partial class DeviceProvisioner(
    ICertificateAuthority ca,
    IHostSealingKey sealingKey,
    IHostSigningKey hostSigningKey,
    IDeviceSigningKeys signingKeys,
    IDeviceCertificates certificates,
    IDeviceSettingsStore deviceSettings,
    Releases.ReleaseLibrary releases,
    IDeviceOrderLedger orders,
    IAuditTrail audit,
    TimeProvider time,
    ILogger<DeviceProvisioner> logger)
{
    /// <summary>Raised with the device id whenever who may reach the broker changes: a certificate issued or revoked.</summary>
    public event EventHandler<string>? AccessChanged;

    /// <summary>Checks the fleet for <paramref name="kind"/>, issues credentials and seals them for enrolment.</summary>
    /// <param name="alternateBrokers">Further brokers (<c>host:port</c>) the appliance tries in turn.</param>
    /// <param name="settings">Configuration for this appliance (its pin map, camera, lease…); only keys a bundle may set.</param>
    public ProvisioningResult ProvisionForEnrolment(
        string deviceId,
        ProvisioningKind kind,
        string brokerHost,
        int brokerPort,
        IReadOnlyList<string>? alternateBrokers = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        DeviceId.EnsureValid(deviceId);
        var known = certificates.KnownDevices().Contains(deviceId);
        var active = certificates.ActiveDevices().Contains(deviceId);
        var refusal = kind switch
        {
            ProvisioningKind.New when known => $"{deviceId} is already provisioned here: rotate it (in service) or re-provision it (revoked or wiped)",
            ProvisioningKind.Rotate when !active => $"{deviceId} has no certificate in service to rotate: provision or re-provision it",
            ProvisioningKind.Reprovision when !known => $"{deviceId} was never provisioned here: provision it",
            _ => null,
        };
        if (refusal is not null)
        {
            throw new InvalidOperationException(refusal);
        }

        // A rotation or re-provisioning without new settings keeps the ones the appliance has.
        settings ??= kind == ProvisioningKind.New ? null : deviceSettings.Find(deviceId);

        // Checked before anything is issued, so a typo in a setting leaves no orphan certificate.
        var extras = new ProvisioningBundle(ProvisioningBundle.CurrentVersion, deviceId, "-", "-", "-", "-", brokerHost, brokerPort, "-", "-", "-",
            alternateBrokers is { Count: > 0 } ? [.. alternateBrokers] : null,
            settings is { Count: > 0 } ? new Dictionary<string, string>(settings) : null);
        if (extras.Validate() is { } invalid)
        {
            throw new ArgumentException(invalid);
        }

        var bundle = Provision(deviceId, brokerHost, brokerPort, kind) with { AlternateBrokers = extras.AlternateBrokers, Settings = extras.Settings };
        deviceSettings.Save(deviceId, extras.Settings ?? []);
        if (kind == ProvisioningKind.Reprovision)
        {
            // A fresh start: the wipe that retired it is history, kept in the audit trail. Here, so
            // that the fleet page and the command line cannot differ on it.
            orders.ArchiveWipe(deviceId);
        }

        var (package, code) = EnrolmentPackage.Seal(bundle);
        return new ProvisioningResult(deviceId, kind, package, code);
    }

    /// <summary>A plain bundle (for the demo and tests, which install it directly); admins get one sealed by <see cref="ProvisionForEnrolment"/>.</summary>
    public ProvisioningBundle Provision(string deviceId, string brokerHost, int brokerPort) =>
        Provision(deviceId, brokerHost, brokerPort, ProvisioningKind.New);

    private ProvisioningBundle Provision(string deviceId, string brokerHost, int brokerPort, ProvisioningKind kind)
    {
        DeviceId.EnsureValid(deviceId);
        var credential = ca.IssueDeviceCertificate(deviceId);
        certificates.RecordIssued(deviceId, credential.Thumbprint, credential.SerialNumber);
        // The device signs its series; the host keeps only the public half, to check them. The
        // key is pending until the appliance shows it holds it: orders stay bound to the key it has.
        var (signingPrivate, signingPublic) = SeriesSigning.CreateKeyPair();
        signingKeys.Update(deviceId, ring => ring.Issue(signingPublic, kind, time.GetUtcNow()));
        // The keys in force after any rotation: a new appliance starts where the fleet is.
        var releaseKeys = releases.CurrentKeys();
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
            Convert.ToBase64String(hostSigningKey.PublicKey),
            // The firmware releases it may install: signed by a key the host trusts (and that never lives here).
            ReleaseKeys: releaseKeys.Keys.Count > 0 ? [.. releaseKeys.Keys.Select(Convert.ToBase64String)] : null,
            ReleaseKeySequence: releaseKeys.Sequence,
            ReleaseKeyThreshold: releaseKeys.Threshold);
        LogProvisioned(logger, deviceId, kind, credential.Thumbprint);
        audit.Append(AuditKinds.DeviceProvisioned, "host", deviceId, $"{kind.ToString().ToLowerInvariant()}: certificate {credential.Thumbprint}");
        AccessChanged?.Invoke(this, deviceId);
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
        AccessChanged?.Invoke(this, deviceId);
        return revoked;
    }

    /// <summary>Writes a bundle readable by its owner only: it holds the device's private key.</summary>
    public static void WriteBundle(ProvisioningBundle bundle, string path) => WriteOwnerOnly(ProtocolJson.Serialize(bundle), path);

    /// <summary>Writes an enrolment package owner-only (it is encrypted, but nobody else needs it).</summary>
    public static void WritePackage(EnrolmentPackage package, string path) => WriteOwnerOnly(ProtocolJson.Serialize(package), path);

    private static void WriteOwnerOnly(byte[] content, string path)
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
        stream.Write(content);
    }

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "Revoked {Count} certificates of {DeviceId}: {Reason}")]
    private static partial void LogRevoked(ILogger logger, string deviceId, int count, string reason);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Provisioned {DeviceId} ({Kind}) with certificate {Thumbprint}")]
    private static partial void LogProvisioned(ILogger logger, string deviceId, ProvisioningKind kind, string thumbprint);
}
