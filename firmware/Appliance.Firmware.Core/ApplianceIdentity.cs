using System.Reflection;

namespace Appliance.Firmware.Core;

/// <summary>Who this appliance is and whom it seals for, as loaded from its provisioning bundle.</summary>
public sealed record ApplianceIdentity(string DeviceId, string FirmwareVersion, byte[] HostSealingPublicKey)
{
    public static string CurrentFirmwareVersion { get; } =
        typeof(ApplianceIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
