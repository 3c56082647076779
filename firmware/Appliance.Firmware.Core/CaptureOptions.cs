using System.ComponentModel.DataAnnotations;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>Section <c>Capture</c>: the standardised capture settings and ring timing.</summary>
public sealed class CaptureOptions
{
    public const string Section = "Capture";

    /// <summary>Time a ring is on before its frame is taken, so the LEDs reach steady output.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan RingSettleTime { get; set; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Hard limit on one ring's on-time; a camera slower than this is a fault, and the ring goes off.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan MaxRingOnTime { get; set; } = TimeSpan.FromSeconds(3);

    [Range(64, 4056)]
    public int Width { get; set; } = 640;

    [Range(64, 3040)]
    public int Height { get; set; } = 480;

    [Range(typeof(TimeSpan), "00:00:00.0001", "00:00:01")]
    public TimeSpan Exposure { get; set; } = TimeSpan.FromMilliseconds(8);

    [Range(1.0, 16.0)]
    public double AnalogueGain { get; set; } = 1.0;

    [Range(0.1, 8.0)]
    public double RedGain { get; set; } = 1.8;

    [Range(0.1, 8.0)]
    public double BlueGain { get; set; } = 1.5;

    [Range(0.0, 32.0)]
    public double LensPosition { get; set; } = 8.0;

    public CameraSettings ToCameraSettings() =>
        new(Width, Height, Exposure, AnalogueGain, RedGain, BlueGain, LensPosition);
}

/// <summary>Section <c>Quality</c>: thresholds for the on-device checks.</summary>
public sealed class QualityOptions
{
    public const string Section = "Quality";

    /// <summary>Mean level (0–255) below which a frame is too dark.</summary>
    [Range(0.0, 255.0)]
    public double MinMeanLevel { get; set; } = 50;

    /// <summary>Mean level above which a frame is overexposed.</summary>
    [Range(0.0, 255.0)]
    public double MaxMeanLevel { get; set; } = 225;

    /// <summary>Share of clipped pixels in any frame above which it is overexposed rather than glaring.</summary>
    [Range(0.0, 1.0)]
    public double MaxClippedFraction { get; set; } = 0.2;

    /// <summary>Share of clipped pixels in the cross-polarised frame above which we call glare (a polariser or contact fault).</summary>
    [Range(0.0, 1.0)]
    public double MaxPolarisedClippedFraction { get; set; } = 0.002;

    /// <summary>
    /// Focus score of sharp skin on the reference optics (the simulator at 640×480). An
    /// appliance's calibration scales it to its own optics through <see cref="ReferenceTargetFocusCrossPolarised"/> and <see cref="ReferenceTargetFocusNonPolarised"/>.
    /// </summary>
    [Range(0.001, 1e9)]
    public double FocusBaseline { get; set; } = 60;

    /// <summary>
    /// The calibration target's focus score under the cross-polarised ring on the optics
    /// <see cref="FocusBaseline"/> was measured on, at the same resolution. An appliance's
    /// calibration measures its own target score; the ratio scales the baseline to its lens,
    /// sensor and resolution.
    /// </summary>
    [Range(0.001, 1e9)]
    public double ReferenceTargetFocusCrossPolarised { get; set; } = 101;

    /// <summary>The same under the non-polarised ring (brighter light, so relatively less noise).</summary>
    [Range(0.001, 1e9)]
    public double ReferenceTargetFocusNonPolarised { get; set; } = 82;

    /// <summary>A frame whose focus score falls below this share of the baseline is blurred.</summary>
    [Range(0.0, 1.0)]
    public double MinFocusRatio { get; set; } = 0.57;

    /// <summary>Largest shift between the two frames (pixels) still accepted; more means the head moved.</summary>
    [Range(0.0, 1000.0)]
    public double MaxMotionPixels { get; set; } = 5;

    /// <summary>How far apart the frames are searched for a shift (pixels).</summary>
    [Range(1, 512)]
    public int MotionSearchPixels { get; set; } = 32;
}
