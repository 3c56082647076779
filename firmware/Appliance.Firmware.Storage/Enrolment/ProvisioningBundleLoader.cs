using Appliance.Firmware.Storage.Wipe;
using Appliance.Protocol;

namespace Appliance.Firmware.Storage.Enrolment;

/// <summary>Reads and checks the bundle the host's <c>provision</c> command wrote for this appliance.</summary>
public static class ProvisioningBundleLoader
{
    public static ProvisioningBundle Load(string path)
    {
        if (!File.Exists(path) && CryptoEraser.ReadMarker(Path.GetDirectoryName(Path.GetFullPath(path))!) is { } wiped)
        {
            throw new InvalidOperationException(
                $"This appliance was wiped at {wiped.WipedAt:O} ({wiped.Trigger}{(wiped.OrderId is null ? string.Empty : ", order " + wiped.OrderId)}) and holds no keys; it is not provisioned. Enrol a new bundle to put it back in service.");
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"This appliance is not provisioned: no bundle at {path}. Provision it on the host (appliance-host provision <device-id>) and install the bundle there.");
        }

        if (!ProtocolJson.TryDeserialize<ProvisioningBundle>(File.ReadAllBytes(path), out var bundle, out var error))
        {
            throw new InvalidOperationException($"The provisioning bundle at {path} is unreadable: {error}");
        }

        var invalid = bundle.Validate();
        return invalid is null ? bundle : throw new InvalidOperationException($"The provisioning bundle at {path} is invalid: {invalid}");
    }

    /// <summary>
    /// The settings the admin put in the bundle, for configuration: empty when there is no
    /// bundle or it does not validate (<see cref="Load"/> reports why when the firmware starts).
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Settings(string path)
    {
        if (File.Exists(path)
            && ProtocolJson.TryDeserialize<ProvisioningBundle>(File.ReadAllBytes(path), out var bundle, out _)
            && bundle.Validate() is null
            && bundle.Settings is { Count: > 0 } settings)
        {
            return settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        }

        return new Dictionary<string, string?>();
    }
}
