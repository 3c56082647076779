namespace Appliance.Calibration;

/// <summary>What one calibration under one ring found, and how well it does on the patches it was not fitted on.</summary>
public sealed record CalibrationResult(
    FlatField FlatField,
    ToneCurve Tone,
    ColourCorrection Correction,
    double PixelsPerMillimetre,
    ColourAccuracy Before,
    ColourAccuracy After,
    LinearRgb RecordedWhite)
{
    /// <summary>A camera frame in calibrated linear light: flat-fielded, linearised, then colour-corrected.</summary>
    public LinearImage Correct(LinearImage frame) => new FrameCorrection(FlatField, Tone, Correction).Apply(frame);
}

/// <summary>Everything that turns one ring's camera frame into calibrated linear light, in the order it is applied.</summary>
public sealed record FrameCorrection(FlatField Flat, ToneCurve Tone, ColourCorrection Correction)
{
    /// <summary>Flat-field, tone curve, colour correction; in place, and returned.</summary>
    public LinearImage Apply(LinearImage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Flat.Apply(frame);
        for (var y = 0; y < frame.Height; y++)
        {
            for (var x = 0; x < frame.Width; x++)
            {
                frame[x, y] = Correction.Apply(Tone.Linearise(frame[x, y]));
            }
        }

        return frame;
    }
}

/// <summary>
/// Calibrates one ring from two frames: a white reference card (the flat-field) and the target
/// (the colour patches and the scale square). Each patch is read as the mean of its inner half,
/// away from its edges; each channel's tone curve is fitted on the neutral patches, then the
/// colour correction on the sheet's fitting patches, and both are judged, before and after, by
/// CIEDE2000 on its held-out ones.
/// </summary>
public static class CalibrationFitter
{
    /// <summary>The fraction of each patch, around its centre, that is read.</summary>
    private const double Inner = 0.5;

    public static CalibrationResult Fit(ReadOnlySpan<byte> whiteRgb24, ReadOnlySpan<byte> targetRgb24, int width, int height, TargetSheet sheet)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        var white = LinearImage.FromRgb24(whiteRgb24, width, height);
        var target = LinearImage.FromRgb24(targetRgb24, width, height);
        // The light's colour as the camera recorded it, where the lens darkens least.
        var recordedWhite = white.Mean((int)(width * 0.45), (int)(height * 0.45), (int)Math.Ceiling(width * 0.55), (int)Math.Ceiling(height * 0.55));

        // Before: what the camera's own numbers say, read as if they were true sRGB.
        var heldOut = sheet.HeldOutPatches.ToList();
        var truth = heldOut.Select(p => p.Lab).ToList();
        var before = ColourAccuracy.Of([.. heldOut.Select(p => Read(target, p))], truth);

        var flat = FlatField.FromWhite(white);
        flat.Apply(target);
        var fitting = sheet.FitPatches.ToList();
        var neutrals = fitting.Where(p => Math.Abs(p.A) < 2 && Math.Abs(p.B) < 2).ToList();
        var tone = neutrals.Count >= 3
            ? ToneCurve.Fit([.. neutrals.Select(p => Read(target, p))], [.. neutrals.Select(p => Luminance(ColourSpaces.FromLab(p.Lab)))])
            : ToneCurve.Identity;
        var correction = ColourCorrection.FitBest([.. fitting.Select(p => tone.Linearise(Read(target, p)))], [.. fitting.Select(p => ColourSpaces.FromLab(p.Lab))]);
        var after = ColourAccuracy.Of([.. heldOut.Select(p => correction.Apply(tone.Linearise(Read(target, p))))], truth);

        var square = sheet.ScaleSquare;
        var pixelsPerMm = ScaleMeasurement.PixelsPerMillimetre(
            target,
            ((int)(square.X0 * width), (int)(square.Y0 * height), (int)Math.Ceiling(square.X1 * width), (int)Math.Ceiling(square.Y1 * height)),
            square.SideMillimetres);
        return new CalibrationResult(flat, tone, correction, pixelsPerMm, before, after, recordedWhite);
    }

    private static double Luminance(LinearRgb c) => (0.2126729 * c.R) + (0.7151522 * c.G) + (0.0721750 * c.B);

    internal static LinearRgb Read(LinearImage image, TargetPatch region)
    {
        var (cx, cy) = ((region.X0 + region.X1) / 2 * image.Width, (region.Y0 + region.Y1) / 2 * image.Height);
        var (hw, hh) = ((region.X1 - region.X0) * image.Width * Inner / 2, (region.Y1 - region.Y0) * image.Height * Inner / 2);
        return image.Mean((int)(cx - hw), (int)(cy - hh), (int)Math.Ceiling(cx + hw), (int)Math.Ceiling(cy + hh));
    }
}
