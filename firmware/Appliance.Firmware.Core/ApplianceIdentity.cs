using System.Reflection;

namespace Appliance.Firmware.Core;

/// <summary>
/// Who this appliance is, whom it seals for and the key it signs its series with, as loaded
/// from its provisioning bundle.
/// </summary>
public sealed record ApplianceIdentity(string DeviceId, string FirmwareVersion, byte[] HostSealingPublicKey, byte[] SigningPrivateKey)
{
    public static string CurrentFirmwareVersion { get; } =
        typeof(ApplianceIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
