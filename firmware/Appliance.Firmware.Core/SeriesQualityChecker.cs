using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// The on-device checks that decide accepted or retake: exposure on both frames, glare in the
/// cross-polarised frame, focus of each frame against the calibration's baseline, and motion
/// between the two frames. Each failed check adds its reason.
/// </summary>
public sealed class SeriesQualityChecker(IOptions<QualityOptions> options)
{
    public const string TooDark = "too dark";
    public const string Overexposed = "overexposed";
    public const string Glare = "glare";
    public const string Blurred = "blurred";
    public const string Moved = "moved";

    public QualityReport Check(IReadOnlyList<CapturedFrame> frames)
    {
        var o = options.Value;
        var reasons = new List<string>();
        double polarisedMean = 0, polarisedClipped = 0;
        foreach (var frame in frames)
        {
            var (mean, clipped) = Measure(frame);
            if (mean < o.MinMeanLevel && !reasons.Contains(TooDark))
            {
                reasons.Add(TooDark);
            }

            if (mean > o.MaxMeanLevel && !reasons.Contains(Overexposed))
            {
                reasons.Add(Overexposed);
            }

            if (frame.Lighting == LightingMode.CrossPolarised)
            {
                polarisedMean = mean;
                polarisedClipped = clipped;
                // An overexposed frame clips everywhere; that is its own reason, not glare.
                if (clipped > o.MaxPolarisedClippedFraction && mean <= o.MaxMeanLevel)
                {
                    reasons.Add(Glare);
                }
            }
        }

        // An overexposed frame has lost its texture: focus and motion cannot be judged, and
        // "overexposed" is the whole answer.
        var measurable = !reasons.Contains(Overexposed);
        var lumas = frames.Select(ImageMetrics.Luma).ToList();
        var focus = frames.Select((f, i) => ImageMetrics.FocusScore(lumas[i], f.Width, f.Height) / o.FocusBaseline).Min();
        if (measurable && focus < o.MinFocusRatio)
        {
            reasons.Add(Blurred);
        }

        double motion = 0;
        if (frames.Count >= 2)
        {
            var (dx, dy) = ImageMetrics.EstimateShift(lumas[0], lumas[1], frames[0].Width, frames[0].Height, o.MotionSearchPixels);
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

    /// <summary>Mean luma (BT.601) and the share of pixels with any channel at 255.</summary>
    public static (double Mean, double ClippedFraction) Measure(CapturedFrame frame)
    {
        if (frame.PixelFormat != CapturedFrame.Rgb24 || frame.Pixels.Length != frame.Width * frame.Height * 3)
        {
            throw new ArgumentException("expected a packed rgb24 frame", nameof(frame));
        }

        var p = frame.Pixels;
        long sum = 0;
        var clipped = 0;
        for (var i = 0; i < p.Length; i += 3)
        {
            int r = p[i], g = p[i + 1], b = p[i + 2];
            sum += (299 * r) + (587 * g) + (114 * b);
            if (r == 255 || g == 255 || b == 255)
            {
                clipped++;
            }
        }

        var pixels = frame.Width * frame.Height;
        return (sum / 1000.0 / pixels, (double)clipped / pixels);
    }
}
