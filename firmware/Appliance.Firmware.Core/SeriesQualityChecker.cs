using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// The on-device checks that decide accepted or retake: exposure on both frames, glare in the
/// cross-polarised frame, focus of each frame against the optics' own sharpness, and motion
/// between the two frames. Each failed check adds its reason.
/// </summary>
/// <param name="calibration">
/// The current profile's target edge blur under each ring is this appliance's optics reference:
/// a frame is blurred when its sharpest edges are wider than the target's by more than
/// <see cref="QualityOptions.MaxDefocusPixels"/>. Without one, <see cref="QualityOptions.DefaultTargetEdgeBlur"/> stands.
/// </param>
public sealed class SeriesQualityChecker(IOptions<QualityOptions> options, FrameBufferPool? pool = null, ICalibrationState? calibration = null)
{
    public const string TooDark = "too dark";
    public const string Overexposed = "overexposed";
    public const string Glare = "glare";
    public const string Blurred = "blurred";
    public const string Moved = "moved";

    /// <summary>
    /// The least correlation of the two frames at the shift found for the shift to count: two
    /// frames of noise correlate near 0 at any shift, the same skin under the two rings well above
    /// 0.5 even blurred.
    /// </summary>
    public const double MinMotionMatch = 0.2;

    public QualityReport Check(IReadOnlyList<CapturedFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        // One frame per core; each measurement also splits its own passes over bands of rows.
        var measured = new FrameMeasurement[frames.Count];
        try
        {
            Parallel.For(0, frames.Count, FrameMeasurement.PerCore, i => measured[i] = FrameMeasurement.Of(frames[i], pool));
            return Judge(measured);
        }
        finally
        {
            foreach (var m in measured)
            {
                m?.Dispose();
            }
        }
    }

    private QualityReport Judge(FrameMeasurement[] measured)
    {
        var o = options.Value;

        var reasons = new List<string>();
        double polarisedMean = 0, polarisedClipped = 0;
        foreach (var m in measured)
        {
            JudgeExposure(m, o, reasons);
            if (m.Frame.Lighting == LightingMode.CrossPolarised)
            {
                polarisedMean = m.Mean;
                polarisedClipped = m.ClippedFraction;
            }
        }

        // An overexposed series clips everywhere; that is its own reason, not glare.
        if (!reasons.Contains(Overexposed) && polarisedClipped > o.MaxPolarisedClippedFraction)
        {
            reasons.Add(Glare);
        }

        // A frame with lost highlights has lost its texture, and a dark one is mostly sensor noise:
        // focus and motion cannot be judged, and the exposure is the whole answer.
        var measurable = !reasons.Contains(Overexposed) && !reasons.Contains(TooDark);
        // Defocus beyond the optics, the worse frame's among those with edges above their noise.
        // Both frames are taken through the same lens at the same setting a moment apart, so one
        // frame with too few edges to say (the polariser's frame is the dimmer, and soft skin may
        // show nothing above its noise there) is judged by the other; a series in which no frame
        // shows one sharp edge cannot show it is in focus, and a defocused one is exactly that.
        var measurableDefocus = measured.Select(m => Defocus(m, o)).Where(d => !double.IsNaN(d)).ToList();
        var defocus = measurableDefocus.Count == 0 ? double.PositiveInfinity : measurableDefocus.Max();
        if (measurable && !(defocus <= o.MaxDefocusPixels))
        {
            reasons.Add(Blurred);
        }

        var focus = measured.Length == 0 ? 0 : measured.Min(m => double.IsNaN(m.EdgeBlur) ? 0 : Math.Min(1, TargetEdgeBlur(m.Frame.Lighting, o) / Math.Max(m.EdgeBlur, 1e-6)));

        double motion = 0;
        if (measured.Length >= 2)
        {
            var (dx, dy, match) = ImageMetrics.EstimateShift(measured[0], measured[1], o.MotionSearchPixels);
            motion = Math.Sqrt((dx * dx) + (dy * dy));
            // Frames that match nowhere (nothing but noise in them) have no shift to measure: a
            // featureless series is "blurred" or badly exposed, not also "moved".
            if (measurable && motion > o.MaxMotionPixels && match >= MinMotionMatch)
            {
                reasons.Add(Moved);
            }
        }

        return new QualityReport(
            reasons.Count == 0,
            [.. reasons],
            Math.Round(polarisedMean, 2),
            Math.Round(polarisedClipped, 5),
            Math.Round(focus, 3),
            Math.Round(motion, 2),
            double.IsFinite(defocus) ? Math.Round(defocus, 3) : null);
    }

    /// <summary>Adds "too dark" or "overexposed" (once each) for a frame whose exposure is wrong.</summary>
    public static void JudgeExposure(FrameMeasurement m, QualityOptions o, List<string> reasons)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(reasons);
        if (m.Mean < o.MinMeanLevel && !reasons.Contains(TooDark))
        {
            reasons.Add(TooDark);
        }

        // Bright on average, or clipped over a large share of the frame: either way the exposure is wrong.
        if ((m.Mean > o.MaxMeanLevel || m.ClippedFraction > o.MaxClippedFraction) && !reasons.Contains(Overexposed))
        {
            reasons.Add(Overexposed);
        }
    }

    /// <summary>The optics' own edge blur under this ring on this appliance: its calibration target's.</summary>
    public double TargetEdgeBlur(LightingMode ring, QualityOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return calibration?.Current?.For(ring)?.TargetEdgeBlur is > 0 and var measured ? measured : o.DefaultTargetEdgeBlur;
    }

    /// <summary>The frame's defocus beyond the optics; NaN where it has too few edges above its noise to say.</summary>
    private double Defocus(FrameMeasurement m, QualityOptions o) =>
        EdgeBlurEstimator.DefocusBeyond(m.EdgeBlur, TargetEdgeBlur(m.Frame.Lighting, o));
}
