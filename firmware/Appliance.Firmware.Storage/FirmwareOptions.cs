using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Storage;

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

/// <summary>Where the firmware keeps its files, from configuration, for the commands that run without the whole firmware.</summary>
public sealed record FirmwarePaths(string DataFolder, string BundlePath, string StoreFileName)
{
    public static FirmwarePaths From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new FirmwareOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(FirmwareOptions.Section), options);
        var dataFolder = Path.GetFullPath(options.DataFolder);
        var store = configuration.GetSection(StoreOptions.Section)["Path"] ?? new StoreOptions().Path;
        return new FirmwarePaths(dataFolder, Path.Combine(dataFolder, options.BundlePath), store);
    }
}
