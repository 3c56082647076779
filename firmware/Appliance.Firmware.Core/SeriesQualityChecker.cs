using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// The on-device checks that decide accepted or retake: exposure on both frames, glare in the
/// cross-polarised frame, focus of each frame against the calibration's baseline, and motion
/// between the two frames. Each failed check adds its reason.
/// </summary>
/// <param name="calibration">
/// The current profile's focus baselines (each ring's target score) scale
/// <see cref="QualityOptions.FocusBaseline"/> to this appliance's optics; without one, the configured baseline stands.
/// </param>
public sealed class SeriesQualityChecker(IOptions<QualityOptions> options, FrameBufferPool? pool = null, ICalibrationState? calibration = null)
{
    public const string TooDark = "too dark";
    public const string Overexposed = "overexposed";
    public const string Glare = "glare";
    public const string Blurred = "blurred";
    public const string Moved = "moved";

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
            if (m.Mean < o.MinMeanLevel && !reasons.Contains(TooDark))
            {
                reasons.Add(TooDark);
            }

            // Bright on average, or clipped over a large share of the frame: either way the exposure is wrong.
            if ((m.Mean > o.MaxMeanLevel || m.ClippedFraction > o.MaxClippedFraction) && !reasons.Contains(Overexposed))
            {
                reasons.Add(Overexposed);
            }

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
        var focus = measured.Length == 0 ? 0 : measured.Min(m => m.FocusScore / FocusBaseline(m.Frame.Lighting, o));
        if (measurable && focus < o.MinFocusRatio)
        {
            reasons.Add(Blurred);
        }

        double motion = 0;
        if (measured.Length >= 2)
        {
            var (dx, dy) = ImageMetrics.EstimateShift(measured[0], measured[1], o.MotionSearchPixels);
            motion = Math.Sqrt((dx * dx) + (dy * dy));
            if (measurable && motion > o.MaxMotionPixels)
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
            Math.Round(motion, 2));
    }

    /// <summary>Sharp skin's expected focus score under this ring on this appliance.</summary>
    public double FocusBaseline(LightingMode ring, QualityOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return calibration?.Current?.For(ring)?.FocusBaseline is > 0 and var measured
            ? o.FocusBaseline * measured / (ring == LightingMode.CrossPolarised ? o.ReferenceTargetFocusCrossPolarised : o.ReferenceTargetFocusNonPolarised)
            : o.FocusBaseline;
    }
}
