using Appliance.Calibration;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>Which card a calibration run waits for.</summary>
public enum CalibrationStep
{
    WhiteCard,
    Target,
}

/// <summary>
/// One calibration run, between the host's request and a signed profile: staff press capture on
/// the white card, then on the target, and both rings are taken each time. The white frames are
/// kept (in memory, cleared at the end) until the target's arrive; then each ring is fitted,
/// judged on the held-out patches against the configured aims, and given its focus baseline
/// (the quality checks' focus score of its target frame). A run that misses the aims makes no
/// profile: the appliance keeps the one it had.
/// </summary>
public sealed class CalibrationRun(CalibrationRequest request) : IDisposable
{
    /// <summary>Mean level (0–255) a white card must reach: darker means a wrong card, a lamp fault or no contact.</summary>
    public const double MinWhiteLevel = 110;

    private readonly List<CapturedFrame> _white = [];

    public CalibrationRequest Request => request;

    public CalibrationStep Step { get; private set; } = CalibrationStep.WhiteCard;

    /// <summary>What staff should do next, as the status and the page say it.</summary>
    public string Prompt => Step == CalibrationStep.WhiteCard
        ? "place the head on the white reference card and press capture"
        : "place the head on the colour target and press capture";

    /// <summary>Keeps the white card's frames; a reason if they cannot be a white card (the step is then repeated).</summary>
    public string? TakeWhite(IReadOnlyList<CapturedFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        foreach (var frame in frames)
        {
            using var measured = FrameMeasurement.Of(frame);
            if (measured.Mean < MinWhiteLevel)
            {
                return $"the {RingName(frame.Lighting)} frame is too dark for the white card (level {measured.Mean:F0}): check the card is under the head and the ring lights";
            }

            if (measured.ClippedFraction > 0.01)
            {
                return $"the {RingName(frame.Lighting)} frame of the white card is overexposed: lower the exposure";
            }
        }

        // Copies: the camera's buffers go back to the pool (and are cleared) when the press is done.
        _white.AddRange(frames.Select(f => f with { Pixels = f.Pixels.AsSpan(0, f.Width * f.Height * 3).ToArray() }));
        Step = CalibrationStep.Target;
        return null;
    }

    /// <summary>Fits every ring against the target's frames; the profile, or why the run is refused.</summary>
    public (CalibrationProfile? Profile, string? Refusal) Finish(
        IReadOnlyList<CapturedFrame> target, TargetSheet sheet, CalibrationOptions options, ApplianceIdentity identity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sheet);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        var rings = new List<RingProfile>();
        foreach (var frame in target)
        {
            var white = _white.Single(w => w.Lighting == frame.Lighting);
            if ((white.Width, white.Height) != (frame.Width, frame.Height))
            {
                return (null, "the white card and the target were taken at different sizes");
            }

            CalibrationResult result;
            try
            {
                result = CalibrationFitter.Fit(white.Pixels, frame.Pixels.AsSpan(0, frame.Width * frame.Height * 3), frame.Width, frame.Height, sheet);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or ArithmeticException)
            {
                return (null, $"the {RingName(frame.Lighting)} target frame could not be fitted: {ex.Message}");
            }

            if (!double.IsFinite(result.After.MeanDeltaE) || result.After.MeanDeltaE > options.MaxMeanDeltaE || result.After.MaxDeltaE > options.MaxWorstDeltaE)
            {
                return (null, $"{RingName(frame.Lighting)}: held-out patches ΔE00 {result.After.MeanDeltaE:F2} mean, {result.After.MaxDeltaE:F2} worst, over the aims "
                    + $"({options.MaxMeanDeltaE:F1}, {options.MaxWorstDeltaE:F1}): is it the right target, flat and clean?");
            }

            // The target's printed edges through this lens, sensor and resolution: the sharpest a frame can be.
            using var measured = FrameMeasurement.Of(frame);
            if (!double.IsFinite(measured.EdgeBlur) || measured.EdgeBlur <= 0)
            {
                return (null, $"the {RingName(frame.Lighting)} target frame shows no sharp edge to measure the lens by: is the target in focus and lit?");
            }

            var ring = CalibrationProfiles.ToRingProfile(frame.Lighting, result, Math.Round(measured.EdgeBlur, 4), options.CameraToSrgb is { Length: > 0 } m ? m : null);
            // Image size on the sensor over size on the skin: (px/mm on the skin) × (sensor mm per frame pixel).
            rings.Add(ring with { OpticalMagnification = Math.Round(result.PixelsPerMillimetre * options.SensorWidthMillimetres / frame.Width, 4) });
        }

        try
        {
            return (CalibrationProfiles.Create(identity.DeviceId, sheet, rings, now, options.Validity, identity.SigningPrivateKey), null);
        }
        catch (InvalidOperationException ex)
        {
            return (null, ex.Message);
        }
    }

    public static string RingName(LightingMode ring) => ring == LightingMode.CrossPolarised ? "cross-polarised" : "non-polarised";

    public void Dispose()
    {
        foreach (var frame in _white)
        {
            Array.Clear(frame.Pixels);
        }

        _white.Clear();
    }
}
