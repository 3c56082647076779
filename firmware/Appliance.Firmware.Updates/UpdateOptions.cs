using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;

namespace Appliance.Firmware.Updates;

/// <summary>Section <c>Update</c>: where releases are installed, and what this appliance is.</summary>
public sealed class UpdateOptions
{
    public const string Section = "Update";

    /// <summary>The release layout's root (<c>releases/</c>, <c>current</c>, <c>previous</c>, <c>floor</c>); writable by the service user.</summary>
    public string Root { get; set; } = "/opt/appliance";

    /// <summary>The model releases must name: unset to read it from the device tree (<c>pi4</c>, <c>pi5</c>).</summary>
    public string? Model { get; set; }

    /// <summary>The architecture releases must be built for: unset for this runtime's (<c>linux-arm64</c> on a Pi).</summary>
    public string? Architecture { get; set; }

    /// <summary>Where the device tree names the board.</summary>
    public string DeviceTreeModel { get; set; } = "/proc/device-tree/model";

    /// <summary>
    /// How long a new release has, from the switch, to start, pass its checks and connect to the
    /// host; otherwise the previous release is restored.
    /// </summary>
    public TimeSpan HealthWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Starts a release on trial may make (the guard counts them) before it is rolled back as crash-looping.</summary>
    public int MaxStarts { get; set; } = 3;

    /// <summary>Package chunks asked for at once (uploads of series go first; this bounds what an update takes of the link).</summary>
    public int ChunksInFlight { get; set; } = 8;

    /// <summary>How long chunks asked for may take before they are asked for again.</summary>
    public TimeSpan ChunkTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a downloaded update looks again whether the appliance is idle enough to install it.</summary>
    public TimeSpan BusyPoll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Where an accepted order's package is gathered.</summary>
    public string StagingFolder => Path.Combine(Root, "staging");

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

    /// <summary>What a package must be built for: this appliance's architecture and model, and at least its floor.</summary>
    public Protocol.Releases.ReleaseTarget Target() => new(ResolveArchitecture(), ResolveModel() ?? "unknown", ReadFloor(), ReadNumber(StoreFormatFile));

    /// <summary>The file holding the confirmed security floor.</summary>
    public const string FloorFile = "floor";

    /// <summary>The file holding the store format the appliance's store is in: the highest a confirmed release writes.</summary>
    public const string StoreFormatFile = "store-format";

    /// <summary>The security floor this appliance has confirmed (0 before any release raised it).</summary>
    public int ReadFloor() => ReadNumber(FloorFile);

    /// <summary>A number kept in a file under the root; 0 when there is none.</summary>
    public int ReadNumber(string file)
    {
        var path = Path.Combine(Root, file);
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;
    }
}
