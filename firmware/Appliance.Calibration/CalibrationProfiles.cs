using Appliance.Protocol;

namespace Appliance.Calibration;

/// <summary>Between what a calibration run computes and the signed profile that travels and is kept.</summary>
public static class CalibrationProfiles
{
    /// <param name="cameraToSrgb">
    /// The camera's characterisation (row-major, camera linear RGB to linear sRGB), which turns the
    /// recorded white card into the colour of the ring's light and so its temperature; identity
    /// when null (a camera whose output is already sRGB).
    /// </param>
    public static RingProfile ToRingProfile(LightingMode ring, CalibrationResult result, double? targetEdgeBlur = null, double[]? cameraToSrgb = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new RingProfile(
            ring,
            result.FlatField.CellsAcross,
            result.FlatField.CellsDown,
            // Four decimals are a hundredth of a percent of light: plenty, and a third of the size.
            [.. result.FlatField.ToGains().Select(g => Math.Round(g, 4))],
            [.. result.Tone.Scale],
            [.. result.Tone.Exponent],
            result.Correction.Model.ToString(),
            [.. result.Correction.Weights.Select(w => w.ToArray())],
            result.PixelsPerMillimetre,
            result.Before.MeanDeltaE,
            result.After.MeanDeltaE,
            result.After.MaxDeltaE,
            EmitterColorTemperature: EmitterTemperature(result.RecordedWhite, cameraToSrgb),
            TargetEdgeBlur: targetEdgeBlur,
            ToneLevels: result.Tone.Levels is { } levels ? [.. levels] : null,
            ToneLight: result.Tone.Light is { } light ? [.. light] : null,
            FlatAfterTone: result.FlatAfterTone ? true : null);
    }

    /// <summary>The ring's correlated colour temperature in whole kelvin; null when the light is too far from white to have one.</summary>
    public static double? EmitterTemperature(LinearRgb recordedWhite, double[]? cameraToSrgb)
    {
        var m = cameraToSrgb ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
        if (m.Length != 9)
        {
            throw new ArgumentException("the camera characterisation is nine numbers, row by row", nameof(cameraToSrgb));
        }

        var (r, g, b) = (recordedWhite.R, recordedWhite.G, recordedWhite.B);
        var light = new LinearRgb((m[0] * r) + (m[1] * g) + (m[2] * b), (m[3] * r) + (m[4] * g) + (m[5] * b), (m[6] * r) + (m[7] * g) + (m[8] * b));
        if (light.R <= 0 || light.G <= 0 || light.B <= 0)
        {
            return null;
        }

        var kelvin = ColourTemperature.Correlated(light);
        return double.IsFinite(kelvin) && kelvin is >= 1000 and <= 25_000 ? Math.Round(kelvin) : null;
    }

    /// <summary>A profile for the rings calibrated, valid for <paramref name="validity"/>, signed with the appliance's key.</summary>
    public static CalibrationProfile Create(
        string deviceId,
        TargetSheet sheet,
        IReadOnlyList<RingProfile> rings,
        DateTimeOffset now,
        TimeSpan validity,
        ReadOnlySpan<byte> signingPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        var profile = new CalibrationProfile(CalibrationProfile.NewId(deviceId, now), deviceId, now, now + validity, sheet.Name, sheet.Version, [.. rings]);
        var invalid = profile.Validate();
        if (invalid is not null)
        {
            throw new InvalidOperationException($"the calibration did not make a valid profile: {invalid}");
        }

        return profile with { Signature = SeriesSigning.SignBytes(signingPrivateKey, profile.SignedBytes()) };
    }

    /// <summary>The correction a profile describes for one ring, ready to apply to frames of the given size.</summary>
    public static FrameCorrection ToCorrection(RingProfile ring, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var model = Enum.Parse<CorrectionModel>(ring.CorrectionModel);
        return new FrameCorrection(
            FlatField.FromGains(ring.FlatCellsAcross, ring.FlatCellsDown, ring.FlatGains, width, height),
            // A profile from before the neutrals were kept carries the power law alone, and its
            // gains divide the camera's values before it.
            new ToneCurve([.. ring.ToneScale], [.. ring.ToneExponent], ring.ToneLevels?.ToArray(), ring.ToneLight?.ToArray()),
            new ColourCorrection(model, [.. ring.CorrectionWeights.Select(w => w.ToArray())]),
            ring.FlatAfterTone == true);
    }
}
