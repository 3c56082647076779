using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;

namespace Appliance.Firmware.Updates;

/// <summary>Section <c>Update</c>: where releases are installed, and what this appliance is.</summary>
public sealed class UpdateOptions
{
    public const string Section = "Update";

    /// <summary>The release layout's root (<c>releases/</c>, <c>current</c>, <c>previous</c>, <c>floor</c>); writable by the service user.</summary>
    public string Root { get; set; } = "/var/lib/appliance-releases";

    /// <summary>The model releases must name: unset to read it from the device tree (<c>pi4</c>, <c>pi5</c>).</summary>
    public string? Model { get; set; }

    /// <summary>The architecture releases must be built for: unset for this runtime's (<c>linux-arm64</c> on a Pi).</summary>
    public string? Architecture { get; set; }

    /// <summary>Where the device tree names the board.</summary>
    public string DeviceTreeModel { get; set; } = "/proc/device-tree/model";

    public static UpdateOptions From(IConfiguration configuration)
    {
        var options = new UpdateOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    public string ResolveArchitecture() => Architecture ?? RuntimeInformation.RuntimeIdentifier;

    /// <summary>The model from configuration or the device tree ("Raspberry Pi 5 Model B Rev 1.0" is pi5); null when neither says.</summary>
    public string? ResolveModel()
    {
        if (Model is { Length: > 0 })
        {
            return Model;
        }

        var board = File.Exists(DeviceTreeModel) ? File.ReadAllText(DeviceTreeModel).TrimEnd('\0', '\n') : string.Empty;
        return board.StartsWith("Raspberry Pi 5", StringComparison.Ordinal) ? "pi5"
            : board.StartsWith("Raspberry Pi 4", StringComparison.Ordinal) ? "pi4"
            : null;
    }

    /// <summary>The security floor this appliance has confirmed (0 before any release raised it).</summary>
    public int ReadFloor()
    {
        var path = Path.Combine(Root, "floor");
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var floor) ? floor : 0;
    }
}
