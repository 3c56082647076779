using Appliance.Calibration;
using Appliance.Host.Core.Imaging;
using Appliance.TestData;

namespace Appliance.UnitTests;

/// <summary>
/// The lesion measurement against synthetic lesions of known truth (area, longest diameter,
/// colour), which the measurement never sees: ellipses of varied size, elongation, rotation and
/// contrast, blurred and noisy as a camera makes them; a lighter centre still counted; plain skin
/// refused rather than measured.
/// </summary>
public sealed class LesionMeasurementTests
{
    private const double PixelsPerMm = 20;
    private static readonly (byte, byte, byte) Skin = (224, 172, 140);

    public static TheoryData<double, double, double, byte, byte, byte> Lesions => new()
    {
        { 60, 60, 0, 96, 60, 42 },     // round, dark brown
        { 80, 45, 30, 120, 80, 60 },   // oval, rotated, lighter brown
        { 50, 20, 75, 70, 50, 55 },    // long and thin, dark
        { 30, 25, 10, 150, 105, 85 },  // small, low contrast
    };

    [Theory]
    [MemberData(nameof(Lesions))]
    public void ALesionsAreaDiameterAndColour_AreMeasuredInCalibratedUnits(double a, double b, double angle, byte r, byte g, byte bl)
    {
        var (rgb, truth) = SyntheticLesions.Render(320, 240, a, b, angle, Skin, (r, g, bl), seed: (int)(a * b));

        var measure = LesionMeasurement.Measure(rgb, 320, 240, PixelsPerMm);

        var trueArea = truth.AreaPixels / (PixelsPerMm * PixelsPerMm);
        var trueDiameter = truth.LongestDiameterPixels / PixelsPerMm;
        Assert.InRange(Math.Abs(measure.AreaMm2 - trueArea) / trueArea, 0, 0.05);
        Assert.InRange(Math.Abs(measure.LongestDiameterMm - trueDiameter) / trueDiameter, 0, 0.05);
        Assert.InRange(Math.Abs(measure.CentroidX - truth.CentreX), 0, 2);
        Assert.InRange(Math.Abs(measure.CentroidY - truth.CentreY), 0, 2);
        // The mean takes in the blurred rim, which leans toward the skin: a few ΔE00 at most.
        Assert.InRange(DeltaE2000.Between(measure.MeanColour, truth.Colour), 0, 4);
    }

    [Fact]
    public void ALighterCentre_IsStillPartOfTheLesion()
    {
        var (rgb, truth) = SyntheticLesions.Render(320, 240, 70, 60, 0, Skin, (90, 55, 40), lighterCentre: 0.8);

        var measure = LesionMeasurement.Measure(rgb, 320, 240, PixelsPerMm);

        Assert.InRange(Math.Abs(measure.AreaPixels - truth.AreaPixels) / truth.AreaPixels, 0, 0.05);
    }

    [Fact]
    public void PlainSkin_IsRefused_NotMeasured()
    {
        var (rgb, _) = SyntheticLesions.Render(160, 120, 0.001, 0.001, 0, Skin, Skin, noise: 4);

        var refused = Assert.Throws<InvalidOperationException>(() => LesionMeasurement.Measure(rgb, 160, 120, PixelsPerMm));

        Assert.Contains("no lesion", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFrameOfTheWrongSize_OrWithoutAScale_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => LesionMeasurement.Measure(new byte[10], 4, 4, PixelsPerMm));
        Assert.Throws<ArgumentOutOfRangeException>(() => LesionMeasurement.Measure(new byte[48], 4, 4, 0));
    }
}
