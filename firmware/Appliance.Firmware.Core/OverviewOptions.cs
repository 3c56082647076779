using System.ComponentModel.DataAnnotations;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>
/// Section <c>Overview</c>: the overview camera's fixed settings (its own exposure and focus for
/// 20–40 cm in the room's light) and the limits its checks apply. Exposure is judged with the
/// same levels as the dermoscopic frames (<see cref="QualityOptions"/>).
/// </summary>
public sealed class OverviewOptions
{
    public const string Section = "Overview";

    /// <summary>
    /// On a Pi, the overview camera's index among its cameras (<c>rpicam-still --camera</c>; 1 for
    /// the second port of a Pi 5); unset, the appliance has no overview camera and a job that asks
    /// for an overview is armed for the dermoscopic pair only, with a warning. The simulated
    /// appliance always has one.
    /// </summary>
    [Range(0, 7)]
    public int? CameraIndex { get; set; }

    [Range(64, 4608)]
    public int Width { get; set; } = 1280;

    [Range(64, 2592)]
    public int Height { get; set; } = 960;

    /// <summary>Short enough for a hand-held frame at arm's length (room light, so more gain).</summary>
    [Range(typeof(TimeSpan), "00:00:00.0001", "00:00:01")]
    public TimeSpan Exposure { get; set; } = TimeSpan.FromMilliseconds(10);

    [Range(1.0, 16.0)]
    public double AnalogueGain { get; set; } = 4.0;

    [Range(0.1, 8.0)]
    public double RedGain { get; set; } = 1.8;

    [Range(0.1, 8.0)]
    public double BlueGain { get; set; } = 1.5;

    /// <summary>Focus in dioptres: 3.3 is 30 cm, the middle of the 20–40 cm the overview is taken from (depth of field covers the rest).</summary>
    [Range(0.0, 32.0)]
    public double LensPosition { get; set; } = 3.3;

    /// <summary>
    /// Time between the two exposures of the overview's burst: the shift between them is how
    /// much the hand holding the appliance moved, which is what blurs a hand-held frame.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan BurstInterval { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Longest an overview frame may take before the camera is called faulty.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan CaptureTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The overview optics' own edge blur in review pixels (about 640 wide): the sharpest a focused frame shows.</summary>
    [Range(0.0, 20.0)]
    public double OpticsEdgeBlur { get; set; } = 0.66;

    /// <summary>Defocus beyond <see cref="OpticsEdgeBlur"/>, in review pixels, above which the overview is blurred.</summary>
    [Range(0.0, 20.0)]
    public double MaxDefocusPixels { get; set; } = 0.5;

    /// <summary>Largest shift between the burst's two frames, in review pixels, still accepted: the dermoscopic pair's limit, as the label of both quality sets.</summary>
    [Range(0.0, 1000.0)]
    public double MaxMotionPixels { get; set; } = 5;

    public CameraSettings ToCameraSettings() =>
        new(Width, Height, Exposure, AnalogueGain, RedGain, BlueGain, LensPosition);
}
