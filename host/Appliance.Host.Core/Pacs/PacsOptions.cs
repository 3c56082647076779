using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Core.Pacs;

/// <summary>
/// Section <c>Pacs</c>: forwarding every filed series to the trust's PACS over DICOMweb. Off
/// unless <see cref="DicomWebUrl"/> is set.
/// </summary>
public sealed class PacsOptions
{
    public const string Section = "Pacs";

    /// <summary>The PACS's DICOMweb root (for Orthanc, <c>https://pacs.trust.local/dicom-web/</c>); none, no forwarding.</summary>
    public Uri? DicomWebUrl { get; set; }

    /// <summary>The wait after a first failed attempt; each further failure doubles it, up to <see cref="LongestRetry"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan FirstRetry { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan LongestRetry { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the queue is looked at anyway, for what another instance or a restart left due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a delivery one instance took is left to it before another may take it (an instance that died mid-send).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the PACS has to answer one series' instances.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Keep the archive's own copy of a series' frames once the PACS has confirmed them (the
    /// default). False: the frames are removed then and read back from the PACS whenever a page
    /// or an export needs them ("delete once archived to the record"); the record stays.
    /// </summary>
    public bool KeepLocalCopy { get; set; } = true;

    public bool Enabled => DicomWebUrl is not null;
}
