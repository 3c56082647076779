using System.ComponentModel.DataAnnotations;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>
/// A camera's fixed settings (no auto exposure, gain, white balance or focus), as a section of
/// the configuration binds them: the dermoscopic camera's (<see cref="CaptureOptions"/>) and the
/// overview camera's (<see cref="OverviewOptions"/>) differ only in their values. The limits span
/// the cameras the appliance supports (the Camera Module 3's 4608 across, the HQ camera's 3040 down).
/// </summary>
public abstract class FixedCameraOptions
{
    [Range(64, 4608)]
    public int Width { get; set; }

    [Range(64, 3040)]
    public int Height { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.0001", "00:00:01")]
    public TimeSpan Exposure { get; set; }

    [Range(1.0, 16.0)]
    public double AnalogueGain { get; set; }

    [Range(0.1, 8.0)]
    public double RedGain { get; set; } = 1.8;

    [Range(0.1, 8.0)]
    public double BlueGain { get; set; } = 1.5;

    /// <summary>Focus in dioptres (1 / the distance in metres), as <c>rpicam-still --lens-position</c> takes it.</summary>
    [Range(0.0, 32.0)]
    public double LensPosition { get; set; }

    public CameraSettings ToCameraSettings() =>
        new(Width, Height, Exposure, AnalogueGain, RedGain, BlueGain, LensPosition);
}
