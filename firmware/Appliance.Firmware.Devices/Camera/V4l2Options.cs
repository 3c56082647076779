using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// Section <c>V4l2</c>: a USB (UVC) camera through <c>v4l2-ctl</c> from v4l-utils. UVC cameras
/// have no red and blue gains, so white balance is pinned to a colour temperature and the
/// analogue gain to a device value; exposure and focus come from the capture settings.
/// Control names are the kernel's since 5.x; older kernels call them <c>exposure_auto</c>,
/// <c>exposure_absolute</c> and <c>white_balance_temperature_auto</c>, hence configurable.
/// </summary>
public sealed class V4l2Options
{
    public const string Section = "V4l2";

    [Required]
    public string Executable { get; set; } = "v4l2-ctl";

    [Required]
    public string Device { get; set; } = "/dev/video0";

    /// <summary>RAM-backed, so patient pixels never touch the SD card; the raw frame is deleted at once.</summary>
    [Required]
    public string ScratchFolder { get; set; } = "/dev/shm";

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Frames dropped after the stream starts, while the sensor settles to the fixed controls.</summary>
    [Range(0, 30)]
    public int SkipFrames { get; set; } = 3;

    [Range(1000, 10000)]
    public int WhiteBalanceTemperature { get; set; } = 5000;

    /// <summary>The device's own gain units (often 0–255); fixed so every frame is exposed alike.</summary>
    [Range(0, 1024)]
    public int Gain { get; set; }

    [Required]
    public string AutoExposureControl { get; set; } = "auto_exposure";

    /// <summary>Value of the auto-exposure menu that means manual (1 on UVC).</summary>
    [Range(0, 3)]
    public int ManualExposureValue { get; set; } = 1;

    /// <summary>Exposure control in 100 µs units.</summary>
    [Required]
    public string ExposureControl { get; set; } = "exposure_time_absolute";

    [Required]
    public string AutoWhiteBalanceControl { get; set; } = "white_balance_automatic";

    /// <summary>Off for cameras without a focus motor; then the lens position is not sent.</summary>
    public bool HasFocusControl { get; set; } = true;
}
