namespace Appliance.Protocol;

/// <summary>
/// Everything one appliance needs to join its host, written by the host's <c>provision</c>
/// command and loaded by the firmware. It holds the device's TLS and signing keys and its store secret, so
/// it is written readable by its owner only. (Enrolment under a one-time code comes with the
/// fleet work.)
/// </summary>
public sealed record ProvisioningBundle(
    int Version,
    string DeviceId,
    string CertificatePem,
    string PrivateKeyPem,
    string CaCertificatePem,
    string HostSealingPublicKey,
    string BrokerHost,
    int BrokerPort,
    string StoreSecret,
    string SigningPrivateKey,
    string HostSigningPublicKey)
{
    /// <summary>2 added the device's Ed25519 signing key and the host's receipt-signing key; a version 1 bundle must be provisioned again.</summary>
    public const int CurrentVersion = 2;

    public string? Validate() =>
        Version != CurrentVersion ? $"bundle version {Version} is not {CurrentVersion}"
        : !Protocol.DeviceId.IsValid(DeviceId) ? "deviceId is not a valid device id"
        : string.IsNullOrWhiteSpace(CertificatePem) || string.IsNullOrWhiteSpace(PrivateKeyPem) ? "device certificate or key missing"
        : string.IsNullOrWhiteSpace(CaCertificatePem) ? "CA certificate missing"
        : string.IsNullOrWhiteSpace(BrokerHost) || BrokerPort is <= 0 or > 65535 ? "broker address missing"
        : string.IsNullOrWhiteSpace(HostSealingPublicKey) ? "host sealing key missing"
        : string.IsNullOrWhiteSpace(StoreSecret) ? "store secret missing"
        : string.IsNullOrWhiteSpace(SigningPrivateKey) ? "signing key missing"
        : string.IsNullOrWhiteSpace(HostSigningPublicKey) ? "host signing key missing"
        : null;
}
