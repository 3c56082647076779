using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// The overview's checks, on its burst of two frames a moment apart: exposure of the first (the
/// one kept) at the same levels as the dermoscopic frames; its defocus beyond the overview
/// optics' own edge blur (the edge-width measure the dermoscopic checks use, which reads the
/// sharpest edges and so does not depend on how much texture the scene has); and the shift
/// between the two frames, which is the hand's movement that blurs a hand-held frame. No glare
/// check: the room's light is not polarised, and shine on skin at 30 cm hides nothing a
/// dermatologist reads from an overview.
/// </summary>
public sealed class OverviewQualityChecker(IOptions<QualityOptions> quality, IOptions<OverviewOptions> overview, FrameBufferPool? pool = null)
{
    public QualityReport Check(IReadOnlyList<CapturedFrame> burst)
    {
        ArgumentNullException.ThrowIfNull(burst);
        if (burst.Count != 2)
        {
            throw new ArgumentException("an overview is judged on its burst of two frames", nameof(burst));
        }

        // One frame per core, as the pair's checks measure theirs: the two exposures are judged together.
        var measured = new FrameMeasurement[burst.Count];
        try
        {
            Parallel.For(0, burst.Count, FrameMeasurement.PerCore, i => measured[i] = FrameMeasurement.Of(burst[i], pool));
            return Judge(measured[0], measured[1]);
        }
        finally
        {
            foreach (var m in measured)
            {
                m?.Dispose();
            }
        }
    }

    private QualityReport Judge(FrameMeasurement first, FrameMeasurement second)
    {
        var (q, o) = (quality.Value, overview.Value);
        var reasons = new List<string>();
        SeriesQualityChecker.JudgeExposure(first, q, reasons);
        var measurable = reasons.Count == 0;

        var defocus = EdgeBlurEstimator.DefocusBeyond(first.EdgeBlur, o.OpticsEdgeBlur);
        // No edge above the noise: a frame that shows nothing sharp cannot show it is in focus.
        if (measurable && !(defocus <= o.MaxDefocusPixels))
        {
            reasons.Add(SeriesQualityChecker.Blurred);
        }

        var (dx, dy, match) = ImageMetrics.EstimateShift(first, second, q.MotionSearchPixels * first.ReviewScale);
        var motion = Math.Sqrt((dx * dx) + (dy * dy)) / first.ReviewScale;
        if (measurable && motion > o.MaxMotionPixels && match >= SeriesQualityChecker.MinMotionMatch)
        {
            reasons.Add(SeriesQualityChecker.Moved);
        }

        var focus = double.IsNaN(first.EdgeBlur) ? 0 : Math.Min(1, o.OpticsEdgeBlur / Math.Max(first.EdgeBlur, 1e-6));
        return new QualityReport(
            reasons.Count == 0,
            [.. reasons],
            Math.Round(first.Mean, 2),
            Math.Round(first.ClippedFraction, 5),
            Math.Round(focus, 3),
            Math.Round(motion, 2),
            double.IsFinite(defocus) ? Math.Round(defocus, 3) : null);
    }
}
