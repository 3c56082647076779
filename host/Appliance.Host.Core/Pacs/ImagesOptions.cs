namespace Appliance.Host.Core.Pacs;

/// <summary>Where a filed series' frames are kept.</summary>
public enum ImageStore
{
    /// <summary>In the host's own archive, sealed under per-series keys (the default).</summary>
    Files,

    /// <summary>In the trust's PACS only: stored there by STOW-RS as the series is filed, read back by WADO-RS; the archive keeps the record.</summary>
    DicomWeb,
}

/// <summary>Section <c>Images</c>.</summary>
public sealed class ImagesOptions
{
    public const string Section = "Images";

    public ImageStore Store { get; set; } = ImageStore.Files;
}
