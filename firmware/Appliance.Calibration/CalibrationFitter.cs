namespace Appliance.Calibration;

/// <summary>What one calibration under one ring found, and how well it does on the patches it was not fitted on.</summary>
/// <param name="FlatAfterTone">The flat-field's gains are of light, divided after the tone curve (see <see cref="FrameCorrection"/>).</param>
public sealed record CalibrationResult(
    FlatField FlatField,
    ToneCurve Tone,
    ColourCorrection Correction,
    double PixelsPerMillimetre,
    ColourAccuracy Before,
    ColourAccuracy After,
    LinearRgb RecordedWhite,
    bool FlatAfterTone = false)
{
    /// <summary>A camera frame in calibrated linear light: flat-fielded and linearised (in the order fitted), then colour-corrected.</summary>
    public LinearImage Correct(LinearImage frame) => new FrameCorrection(FlatField, Tone, Correction, FlatAfterTone).Apply(frame);
}

/// <summary>
/// Everything that turns one ring's camera frame into calibrated linear light, in the order it is
/// applied. The lens darkens the light before the camera's response bends it, so the fall-off is
/// a division of light: with <paramref name="FlatAfterTone"/> the tone curve comes first and the
/// flat-field's gains are of light. Without it (profiles made before 2026-12-03) the gains are of
/// the camera's values and divide them before the tone curve, which is exact only for a response
/// that is a power law.
/// </summary>
public sealed record FrameCorrection(FlatField Flat, ToneCurve Tone, ColourCorrection Correction, bool FlatAfterTone = false)
{
    /// <summary>Flat-field and tone curve in their order, then colour correction; in place, in one pass, and returned.</summary>
    public LinearImage Apply(LinearImage frame)
    {
        Flat.EnsureFits(frame);
        for (var y = 0; y < frame.Height; y++)
        {
            for (var x = 0; x < frame.Width; x++)
            {
                var c = frame[x, y];
                frame[x, y] = Correction.Apply(FlatAfterTone ? Flat.Remove(Tone.Linearise(c), x, y) : Tone.Linearise(Flat.Remove(c, x, y)));
            }
        }

        return frame;
    }

    /// <summary>Every pixel through the tone curve, in place.</summary>
    public static void Linearise(LinearImage frame, ToneCurve tone)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(tone);
        for (var y = 0; y < frame.Height; y++)
        {
            for (var x = 0; x < frame.Width; x++)
            {
                frame[x, y] = tone.Linearise(frame[x, y]);
            }
        }
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

        // First in the camera's values: the flat-field from the white card, the tone curve through
        // the neutrals as flat-fielded.
        var cameraFlat = FlatField.FromWhite(white);
        var flatTarget = target.Copy();
        cameraFlat.Apply(flatTarget);
        var fitting = sheet.FitPatches.ToList();
        var neutrals = fitting.Where(p => Math.Abs(p.A) < 2 && Math.Abs(p.B) < 2).ToList();
        var luminance = neutrals.Select(p => Luminance(ColourSpaces.FromLab(p.Lab))).ToList();
        var tone = neutrals.Count >= 3 ? ToneCurve.Fit([.. neutrals.Select(p => Read(flatTarget, p))], luminance) : ToneCurve.Identity;

        // Then, where the curve passes through the neutrals, in light: the lens's fall-off divided
        // after the curve, as it happened before the response.
        var (flat, flatAfterTone) = (cameraFlat, false);
        Func<TargetPatch, LinearRgb> readLight = p => tone.Linearise(Read(flatTarget, p));
        if (tone.ThroughNeutrals && InLight(white, target, cameraFlat, neutrals, luminance, tone) is { } inLight)
        {
            (tone, flat, flatAfterTone) = (inLight.Tone, inLight.Flat, true);
            var lit = target.Copy();
            FrameCorrection.Linearise(lit, tone);
            flat.Apply(lit);
            readLight = p => Read(lit, p);
        }

        var correction = ColourCorrection.FitBest([.. fitting.Select(readLight)], [.. fitting.Select(p => ColourSpaces.FromLab(p.Lab))]);
        var after = ColourAccuracy.Of([.. heldOut.Select(p => correction.Apply(readLight(p)))], truth);

        var square = sheet.ScaleSquare;
        var pixelsPerMm = ScaleMeasurement.PixelsPerMillimetre(
            flatTarget,
            ((int)(square.X0 * width), (int)(square.Y0 * height), (int)Math.Ceiling(square.X1 * width), (int)Math.Ceiling(square.Y1 * height)),
            square.SideMillimetres);
        return new CalibrationResult(flat, tone, correction, pixelsPerMm, before, after, recordedWhite, flatAfterTone);
    }

    /// <summary>Rounds of refitting that bring the curve and the fall-off it implies to agree (the third changes nothing visible).</summary>
    private const int LightRounds = 3;

    /// <summary>
    /// The tone curve and a flat-field of light, fitted together: each neutral's reading is the
    /// response to its luminance times the fall-off where it lies, the fall-off is the white card
    /// through the curve, relative to its brightest cell, and each round refits one from the
    /// other, starting from the curve fitted on flat-fielded values. The white card is taken as
    /// the flat-field's cells (each cell's mean through the curve, which is what the gains
    /// average), so a round costs a few hundred cells, not a frame. Null if the readings stop
    /// rising with the light on the way.
    /// </summary>
    private static (ToneCurve Tone, FlatField Flat)? InLight(LinearImage white, LinearImage target, FlatField grid, List<TargetPatch> neutrals, List<double> luminance, ToneCurve tone)
    {
        var (across, down) = (grid.CellsAcross, grid.CellsDown);
        var cells = new LinearImage(across, down);
        for (var cy = 0; cy < down; cy++)
        {
            for (var cx = 0; cx < across; cx++)
            {
                cells[cx, cy] = white.Mean(cx * white.Width / across, cy * white.Height / down, (cx + 1) * white.Width / across, (cy + 1) * white.Height / down);
            }
        }

        var readings = neutrals.Select(p => Read(target, p)).ToList();
        FlatField flat = null!;
        for (var round = 0; round <= LightRounds; round++)
        {
            var litCells = cells.Copy();
            FrameCorrection.Linearise(litCells, tone);
            // One pixel a cell: a pixel's place in the frame is its place on this grid.
            flat = FlatField.FromWhite(litCells, across);
            if (round == LightRounds)
            {
                break;
            }

            var light = neutrals.Select((p, i) =>
            {
                var g = flat.GainAt(((p.X0 + p.X1) / 2 * across) - 0.5, ((p.Y0 + p.Y1) / 2 * down) - 0.5);
                return new LinearRgb(luminance[i] * g.R, luminance[i] * g.G, luminance[i] * g.B);
            }).ToList();
            tone = ToneCurve.Fit(readings, light);
            if (!tone.ThroughNeutrals)
            {
                return null;
            }
        }

        return (tone, FlatField.FromGains(across, down, flat.ToGains(), white.Width, white.Height));
    }

    private static double Luminance(LinearRgb c) => (0.2126729 * c.R) + (0.7151522 * c.G) + (0.0721750 * c.B);

    internal static LinearRgb Read(LinearImage image, TargetPatch region)
    {
        var (cx, cy) = ((region.X0 + region.X1) / 2 * image.Width, (region.Y0 + region.Y1) / 2 * image.Height);
        var (hw, hh) = ((region.X1 - region.X0) * image.Width * Inner / 2, (region.Y1 - region.Y0) * image.Height * Inner / 2);
        return image.Mean((int)(cx - hw), (int)(cy - hh), (int)Math.Ceiling(cx + hw), (int)Math.Ceiling(cy + hh));
    }
}
