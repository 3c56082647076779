using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware;

/// <summary>Section <c>Firmware</c>: where the appliance keeps its state.</summary>
public sealed class FirmwareOptions
{
    public const string Section = "Firmware";

    /// <summary>The data folder: bundle, store. On the Pi, the service user's state directory.</summary>
    [Required]
    public string DataFolder { get; set; } = "/var/lib/appliance";

    /// <summary>The provisioning bundle; relative paths are under <see cref="DataFolder"/>.</summary>
    [Required]
    public string BundlePath { get; set; } = "bundle.json";
}
