using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Core;

/// <summary>
/// Section <c>Overview</c>: the overview camera's fixed settings (its own exposure and focus for
/// 20–40 cm in the room's light) and the limits its checks apply. Exposure is judged with the
/// same levels as the dermoscopic frames (<see cref="QualityOptions"/>).
/// </summary>
public sealed class OverviewOptions : FixedCameraOptions
{
    public const string Section = "Overview";

    /// <summary>
    /// 1280×960; 10 ms, short enough for a hand-held frame at arm's length, with more gain for the
    /// room's light; focus 3.3 dioptres, 30 cm, the middle of the 20–40 cm the overview is taken
    /// from (depth of field covers the rest).
    /// </summary>
    public OverviewOptions() => (Width, Height, Exposure, AnalogueGain, LensPosition) = (1280, 960, TimeSpan.FromMilliseconds(10), 4.0, 3.3);

    /// <summary>
    /// On a Pi, the overview camera's index among its cameras (<c>rpicam-still --camera</c>; 1 for
    /// the second port of a Pi 5); unset, the appliance has no overview camera and a job that asks
    /// for an overview is armed for the dermoscopic pair only, with a warning. The simulated
    /// appliance always has one.
    /// </summary>
    [Range(0, 7)]
    public int? CameraIndex { get; set; }

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

    /// <summary>
    /// How far the overview camera's lens sits from the dermoscopic head's axis (hardware/head:
    /// <c>overview_offset</c>), on the side its frames' top edge faces.
    /// </summary>
    [Range(1.0, 200.0)]
    public double MountOffsetMillimetres { get; set; } = 36;

    /// <summary>Where the mount's tilt makes the overview camera's axis cross the head's (<c>overview_aim_distance</c>).</summary>
    [Range(100.0, 1000.0)]
    public double AimDistanceMillimetres { get; set; } = 300;

    /// <summary>How far from the lesion, on the skin, staff pointing the head at it by eye may be off.</summary>
    [Range(0.0, 100.0)]
    public double AimToleranceMillimetres { get; set; } = 15;

    /// <summary>The overview camera's lens and sensor (the Camera Module 3's standard lens, 4608 pixels of 1.4 µm across).</summary>
    [Range(0.5, 50.0)]
    public double FocalLengthMillimetres { get; set; } = 4.74;

    [Range(1.0, 50.0)]
    public double SensorWidthMillimetres { get; set; } = 6.4512;
}
