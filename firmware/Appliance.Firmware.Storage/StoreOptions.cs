using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Storage;

/// <summary>Section <c>Store</c>.</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    /// <summary>The LiteDB file. Relative paths are under the firmware's data folder.</summary>
    [Required]
    public string Path { get; set; } = "series.db";
}
