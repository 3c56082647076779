using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>Section <c>Rpicam</c>: the libcamera camera module through <c>rpicam-still</c>.</summary>
public sealed class RpicamOptions
{
    public const string Section = "Rpicam";

    /// <summary>The executable; on Raspberry Pi OS it is on PATH.</summary>
    [Required]
    public string Executable { get; set; } = "rpicam-still";

    /// <summary>
    /// Where the frame file is written and deleted at once. RAM-backed so that patient
    /// pixels never touch the SD card.
    /// </summary>
    [Required]
    public string ScratchFolder { get; set; } = "/dev/shm";

    /// <summary>Which of the Pi's cameras (<c>rpicam-still --camera</c>); unset: the first, the dermoscopic camera.</summary>
    [Range(0, 7)]
    public int? CameraIndex { get; set; }

    /// <summary>The video tool the screen's live preview streams from (raw YUV 4:2:0 on its standard output).</summary>
    [Required]
    public string PreviewExecutable { get; set; } = "rpicam-vid";

    /// <summary>A capture that takes longer is killed and reported as a fault.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}
