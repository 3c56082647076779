using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;

namespace Appliance.UnitTests;

public sealed class ColourScienceTests
{
    /// <summary>Pairs and expected ΔE00 from Sharma, Wu and Dalal (2005), Table 1: the reference test data for CIEDE2000.</summary>
    public static TheoryData<double, double, double, double, double, double, double> SharmaPairs => new()
    {
        { 50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425 },
        { 50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615 },
        { 50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412 },
        { 50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669 },
        { 50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792 },
        { 50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492 },
        { 50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977 },
        { 60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644 },
        { 63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630 },
        { 35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645 },
        { 22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373 },
        { 2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082 },
    };

    [Theory]
    [MemberData(nameof(SharmaPairs))]
    public void DeltaE2000_MatchesSharmasTestData(double l1, double a1, double b1, double l2, double a2, double b2, double expected)
    {
        Assert.Equal(expected, DeltaE2000.Between(new Lab(l1, a1, b1), new Lab(l2, a2, b2)), 4);
        Assert.Equal(expected, DeltaE2000.Between(new Lab(l2, a2, b2), new Lab(l1, a1, b1)), 4); // symmetric
    }

    [Fact]
    public void Lab_RoundTrips_AndWhiteIsL100()
    {
        var white = ColourSpaces.SrgbToLab(255, 255, 255);
        Assert.Equal(100, white.L, 2);
        Assert.Equal(0, white.A, 2);
        Assert.Equal(0, white.B, 2);
        foreach (var patch in CalibrationChart.Patches)
        {
            var linear = ColourSpaces.ToLinear(patch.Colour.R, patch.Colour.G, patch.Colour.B);
            var back = ColourSpaces.FromLab(ColourSpaces.ToLab(linear));
            // The published matrices are inverses to about 1e-7.
            Assert.Equal(linear.R, back.R, 5);
            Assert.Equal(linear.G, back.G, 5);
            Assert.Equal(linear.B, back.B, 5);
            Assert.Equal(patch.Colour.R, ColourSpaces.FromLinear(linear.R), 6);
        }
    }

    [Fact]
    public void Matrix_UndoesALinearCameraMix_OnHeldOutPatches()
    {
        var (training, heldOut) = Split();
        var camera = (Func<LinearRgb, LinearRgb>)(c => new LinearRgb(
            (0.80 * c.R) + (0.15 * c.G) + (0.02 * c.B),
            (0.10 * c.R) + (0.75 * c.G) + (0.10 * c.B),
            (0.05 * c.R) + (0.20 * c.G) + (0.60 * c.B)));

        var before = ColourAccuracy.Of([.. heldOut.Select(camera)], [.. heldOut.Select(ColourSpaces.ToLab)]);
        var correction = ColourCorrection.Fit(CorrectionModel.Linear3x3, [.. training.Select(camera)], training);
        var after = ColourAccuracy.Of([.. heldOut.Select(c => correction.Apply(camera(c)))], [.. heldOut.Select(ColourSpaces.ToLab)]);

        Assert.True(before.MeanDeltaE > 5, $"the simulated camera should be visibly off (ΔE {before.MeanDeltaE:F2})");
        Assert.True(after.MaxDeltaE < 0.01, $"a linear mix is undone exactly (worst ΔE {after.MaxDeltaE:F4})");
    }

    [Fact]
    public void RootPolynomial_FollowsCrossChannelResponse_IsChosenForIt_AndStaysExposureInvariant()
    {
        var (training, heldOut) = Split();
        // A mix plus cross-channel terms (a sensor whose filters overlap unevenly): beyond any 3×3 matrix.
        var camera = (Func<LinearRgb, LinearRgb>)(c => new LinearRgb(
            (0.80 * c.R) + (0.10 * c.G) + (0.25 * Math.Sqrt(c.R * c.G)),
            (0.08 * c.R) + (0.70 * c.G) + (0.05 * c.B) + (0.20 * Math.Sqrt(c.G * c.B)),
            (0.04 * c.R) + (0.15 * c.G) + (0.60 * c.B) + (0.15 * Math.Sqrt(c.R * c.B))));
        var truth = heldOut.Select(ColourSpaces.ToLab).ToList();
        var measured = training.Select(camera).ToList();

        var matrix = ColourCorrection.Fit(CorrectionModel.Linear3x3, measured, training);
        var root = ColourCorrection.Fit(CorrectionModel.RootPolynomial2, measured, training);
        var matrixAccuracy = ColourAccuracy.Of([.. heldOut.Select(c => matrix.Apply(camera(c)))], truth);
        var rootAccuracy = ColourAccuracy.Of([.. heldOut.Select(c => root.Apply(camera(c)))], truth);

        Assert.True(rootAccuracy.MeanDeltaE < matrixAccuracy.MeanDeltaE / 2, $"root-polynomial ΔE {rootAccuracy.MeanDeltaE:F2} vs matrix {matrixAccuracy.MeanDeltaE:F2}");
        // Chosen without looking at the held-out patches (leave-one-out on the fitting patches).
        Assert.Equal(CorrectionModel.RootPolynomial2, ColourCorrection.FitBest(measured, training).Model);
        // Every term scales with exposure, so twice the light gives twice the corrected colour.
        var sample = camera(heldOut[0]);
        var once = root.Apply(sample);
        var twice = root.Apply(sample * 2);
        Assert.Equal(2 * once.R, twice.R, 9);
        Assert.Equal(2 * once.G, twice.G, 9);
        Assert.Equal(2 * once.B, twice.B, 9);
    }

    [Fact]
    public void FitBest_KeepsTheMatrix_WhenTheCameraMixesLinearly()
    {
        var (training, _) = Split();
        var camera = (Func<LinearRgb, LinearRgb>)(c => new LinearRgb((0.9 * c.R) + (0.1 * c.G), (0.1 * c.R) + (0.8 * c.G), (0.2 * c.G) + (0.7 * c.B)));
        Assert.Equal(CorrectionModel.Linear3x3, ColourCorrection.FitBest([.. training.Select(camera)], training).Model);
    }

    [Fact]
    public void TooFewPatches_IsAClearError()
    {
        var two = CalibrationChart.Patches.Take(2).Select(p => ColourSpaces.ToLinear(p.Colour.R, p.Colour.G, p.Colour.B)).ToList();
        Assert.Contains("at least 3 patches", Assert.Throws<ArgumentException>(() => ColourCorrection.Fit(CorrectionModel.Linear3x3, two, two)).Message);
    }

    /// <summary>The chart's 24 patches in linear light: every fourth held out of the fit, the rest to fit on.</summary>
    private static (List<LinearRgb> Training, List<LinearRgb> HeldOut) Split()
    {
        var all = CalibrationChart.Patches.Select(p => ColourSpaces.ToLinear(p.Colour.R, p.Colour.G, p.Colour.B)).ToList();
        return ([.. all.Where((_, i) => i % 4 != 1)], [.. all.Where((_, i) => i % 4 == 1)]);
    }
}

public sealed class ColourTemperatureTests
{
    [Theory]
    [InlineData(2700)]
    [InlineData(3500)]
    [InlineData(4300)]
    [InlineData(5200)]
    [InlineData(6500)]
    [InlineData(8000)]
    public void ABlackBodysColour_GivesBackItsTemperature(double kelvin) =>
        Assert.InRange(ColourTemperature.Correlated(ColourTemperature.PlanckianWhite(kelvin)), kelvin * 0.99, kelvin * 1.01);

    [Fact]
    public void TheSrgbWhite_IsD65() => Assert.InRange(ColourTemperature.Correlated(new LinearRgb(1, 1, 1)), 6450, 6560);

    [Fact]
    public void AWarmerLight_IsLowerInKelvin() =>
        Assert.True(ColourTemperature.Correlated(new LinearRgb(1, 0.8, 0.6)) < ColourTemperature.Correlated(new LinearRgb(0.9, 0.95, 1)));
}
