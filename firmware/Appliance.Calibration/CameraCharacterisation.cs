namespace Appliance.Calibration;

/// <summary>
/// A camera's characterisation: the 3×3 matrix from its linear RGB to linear sRGB, measured by
/// photographing the white card and the target under a D65 light (a daylight viewing booth),
/// once per camera model. A ring's calibration cannot give it: its colour correction also
/// removes the ring's own colour, which is what the characterisation must reveal
/// (<see cref="CalibrationProfiles.EmitterTemperature"/>). This is what
/// <c>Calibration:CameraToSrgb</c> holds, measured by the calibration's own code rather than
/// taken from a sensor's data sheet.
/// </summary>
public static class CameraCharacterisation
{
    /// <returns>Nine numbers, row by row: camera linear RGB (as the camera encodes it, flat-fielded) to linear sRGB.</returns>
    public static double[] Measure(ReadOnlySpan<byte> whiteRgb24, ReadOnlySpan<byte> targetRgb24, int width, int height, TargetSheet sheet)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        var white = LinearImage.FromRgb24(whiteRgb24, width, height);
        var target = LinearImage.FromRgb24(targetRgb24, width, height);
        FlatField.FromWhite(white).Apply(target);
        // Every patch: under the booth's light nothing is held out, the sheet's colours are the truth.
        var patches = sheet.Patches.ToList();
        var matrix = ColourCorrection.Fit(
            CorrectionModel.Linear3x3,
            [.. patches.Select(p => CalibrationFitter.Read(target, p))],
            [.. patches.Select(p => ColourSpaces.FromLab(p.Lab))]);
        return [.. matrix.Weights.SelectMany(row => row)];
    }
}
