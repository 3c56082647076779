using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Storage;

/// <summary>Section <c>Store</c>.</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    /// <summary>The LiteDB file. Relative paths are under the firmware's data folder.</summary>
    [Required]
    public string Path { get; set; } = "series.db";

    /// <summary>Series waiting for the host beyond which the appliance refuses new jobs.</summary>
    [Range(1, 100_000)]
    public int MaxSeries { get; set; } = 500;

    /// <summary>Bytes of waiting series beyond which the appliance refuses new jobs (8 GiB).</summary>
    [Range(1L << 20, 1L << 42)]
    public long MaxBytes { get; set; } = 8L << 30;

    /// <summary>Free space the disk must keep after a new series, for the OS, logs and LiteDB's own log (512 MiB).</summary>
    [Range(0L, 1L << 40)]
    public long MinFreeBytes { get; set; } = 512L << 20;
}
