using System.Reflection;

namespace Appliance.Firmware.Core;

/// <summary>
/// Who this appliance is, whom it seals for and the key it signs its series with, as loaded
/// from its provisioning bundle.
/// </summary>
public sealed record ApplianceIdentity(string DeviceId, string FirmwareVersion, byte[] HostSealingPublicKey, byte[] SigningPrivateKey)
{
    private byte[]? _signingPublicKey;

    /// <summary>
    /// The public half of the signing key: host orders are bound to it. Taken once, so it is
    /// still known after a wipe has cleared the private half.
    /// </summary>
    public byte[] SigningPublicKey => _signingPublicKey ??= Protocol.SeriesSigning.PublicKeyOf(SigningPrivateKey);

    public static string CurrentFirmwareVersion { get; } =
        typeof(ApplianceIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
