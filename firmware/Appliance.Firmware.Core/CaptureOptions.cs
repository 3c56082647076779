using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Core;

/// <summary>Section <c>Capture</c>: the standardised capture settings (the dermoscopic camera's) and ring timing.</summary>
public sealed class CaptureOptions : FixedCameraOptions
{
    public const string Section = "Capture";

    public CaptureOptions() => (Width, Height, Exposure, AnalogueGain, LensPosition) = (640, 480, TimeSpan.FromMilliseconds(8), 1.0, 8.0);

    /// <summary>Time a ring is on before its frame is taken, so the LEDs reach steady output.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan RingSettleTime { get; set; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Hard limit on one ring's on-time; a camera slower than this is a fault, and the ring goes off.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan MaxRingOnTime { get; set; } = TimeSpan.FromSeconds(3);

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

    /// <summary>
    /// Share of clipped pixels in the cross-polarised frame above which we call glare (a polariser
    /// or contact fault): with a working polariser no specular glint reaches the sensor, and a
    /// few leaked glints clip only a few dozen pixels each. 0.02 %, chosen on the tuning half of
    /// the real photographs (0.2 % missed a third of the leaks there).
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxPolarisedClippedFraction { get; set; } = 0.0002;

    /// <summary>
    /// Defocus beyond the optics' own blur, in pixels of the review grid (about 640 wide), above
    /// which a frame is blurred: the sharpest edges of either frame are that much wider than the
    /// calibration target's. Chosen on the tuning half of the real photographs, where a Gaussian
    /// defocus of σ 1.2 px is the blurred label's threshold. The figure is read on the sharpest
    /// twentieth of the edges, which on real scenes reads well below the σ of a uniform defocus
    /// (a σ 1.2 defocus reads about 0.5), so the limit sits below 1.2; see docs/benchmarks.md.
    /// </summary>
    [Range(0.0, 20.0)]
    public double MaxDefocusPixels { get; set; } = 0.5;

    /// <summary>
    /// The optics' own edge blur when the current profile does not carry one (a profile from
    /// before it was measured): the simulator's target at 640×480. An appliance's calibration
    /// measures its own (<c>RingProfile.TargetEdgeBlur</c>).
    /// </summary>
    [Range(0.0, 20.0)]
    public double DefaultTargetEdgeBlur { get; set; } = 0.66;

    /// <summary>Largest shift between the two frames (pixels) still accepted; more means the head moved.</summary>
    [Range(0.0, 1000.0)]
    public double MaxMotionPixels { get; set; } = 5;

    /// <summary>How far apart the frames are searched for a shift (pixels).</summary>
    [Range(1, 512)]
    public int MotionSearchPixels { get; set; } = 32;
}
