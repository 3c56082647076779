using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Core.Transfers;

/// <summary>Section <c>Transfers</c>: how this host instance receives chunked series.</summary>
public sealed class TransferOptions
{
    public const string Section = "Transfers";

    /// <summary>
    /// This instance's name on the wire: devices send chunks to <c>…/transfer/{InstanceId}</c> once
    /// it has answered their offer. Distinct per instance when several share the load.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{2,62}\\z")]
    public string InstanceId { get; set; } = "host";

    /// <summary>Largest sealed series accepted (a 12 MP series of four frames is about 150 MB).</summary>
    [Range(1024, 4L * 1024 * 1024 * 1024)]
    public long MaxSeriesBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Largest chunk accepted; the broker's packet limit must leave room for it and the frame header.</summary>
    [Range(Protocol.TransferOffer.MinChunkSize, 16 * 1024 * 1024)]
    public int MaxChunkSize { get; set; } = 1024 * 1024;

    /// <summary>Most chunks in one series: bounds the offer message (64 bytes of digest per chunk).</summary>
    [Range(1, 65_536)]
    public int MaxChunks { get; set; } = 4096;

    /// <summary>Unfinished transfers one device may hold open; the oldest gives way to a new offer.</summary>
    [Range(1, 64)]
    public int MaxOpenPerDevice { get; set; } = 4;

    /// <summary>An unfinished transfer untouched this long is dropped (the device offers again when it returns).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan Expiry { get; set; } = TimeSpan.FromDays(7);
}
