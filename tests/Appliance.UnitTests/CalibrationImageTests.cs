using Appliance.Calibration;

namespace Appliance.UnitTests;

public sealed class CalibrationImageTests
{
    private const int Width = 640, Height = 480;

    /// <summary>A lens and ring that light the corners at 60 % of the centre, in linear light.</summary>
    private static double Vignetting(int x, int y)
    {
        var (dx, dy) = ((x + 0.5 - (Width / 2.0)) / (Width / 2.0), (y + 0.5 - (Height / 2.0)) / (Height / 2.0));
        return 1 - (0.2 * ((dx * dx) + (dy * dy)));
    }

    [Fact]
    public void FlatField_FromAWhiteCard_MakesTheSamePatchMeasureTheSameAtTheCentreAndInACorner()
    {
        var white = Render((x, y) => new LinearRgb(0.85, 0.80, 0.70) * Vignetting(x, y));
        var flat = FlatField.FromWhite(LinearImage.FromRgb24(white.ToRgb24(), Width, Height));
        Assert.InRange(flat.Falloff, 0.58, 0.66);

        // The same grey patch, once in the middle and once in the top-left corner.
        var patch = new LinearRgb(0.20, 0.20, 0.20);
        var scene = Render((x, y) => (InPatch(x, y, 300, 220) || InPatch(x, y, 10, 10) ? patch : new LinearRgb(0.5, 0.5, 0.5)) * Vignetting(x, y));
        var measured = LinearImage.FromRgb24(scene.ToRgb24(), Width, Height);
        var centreBefore = measured.Mean(305, 225, 335, 255).G;
        var cornerBefore = measured.Mean(15, 15, 45, 45).G;
        flat.Apply(measured);
        var centreAfter = measured.Mean(305, 225, 335, 255).G;
        var cornerAfter = measured.Mean(15, 15, 45, 45).G;

        Assert.True(cornerBefore < centreBefore * 0.75, $"the corner should be darker before ({cornerBefore:F3} vs {centreBefore:F3})");
        // Within 1 % (the grid averages each cell; 1 % of linear light is under 0.5 ΔE00 in lightness).
        Assert.InRange(cornerAfter / centreAfter, 0.99, 1.01);
    }

    [Theory]
    [InlineData(31.7, 5.0)]
    [InlineData(12.25, 10.0)]
    [InlineData(40.0, 3.0)]
    public void ScaleMeasurement_FindsThePixelsPerMillimetre_WithinATenthOfAPercent(double pixelsPerMm, double sideMm)
    {
        // A dark square rendered by area coverage (as optics and a sensor integrate it), at a subpixel offset.
        var side = pixelsPerMm * sideMm;
        var (left, top) = (Width / 2.0 - (side / 2) + 0.37, Height / 2.0 - (side / 2) + 0.81);
        var image = Render((x, y) =>
        {
            var cover = Overlap(x, x + 1, left, left + side) * Overlap(y, y + 1, top, top + side);
            var level = 0.8 - (0.75 * cover);
            return new LinearRgb(level, level, level);
        });
        var decoded = LinearImage.FromRgb24(image.ToRgb24(), Width, Height);
        var margin = 15;
        var measured = ScaleMeasurement.PixelsPerMillimetre(decoded, ((int)left - margin, (int)top - margin, (int)(left + side) + margin, (int)(top + side) + margin), sideMm);

        Assert.Equal(pixelsPerMm, measured, pixelsPerMm * 0.001);
    }

    [Fact]
    public void ScaleMeasurement_WithoutASquare_SaysSo()
    {
        var blank = Render((_, _) => new LinearRgb(0.5, 0.5, 0.5));
        Assert.Contains("no dark square", Assert.Throws<InvalidOperationException>(() => ScaleMeasurement.PixelsPerMillimetre(blank, (100, 100, 200, 200), 5)).Message);
    }

    private static bool InPatch(int x, int y, int x0, int y0) => x >= x0 && x < x0 + 40 && y >= y0 && y < y0 + 40;

    private static double Overlap(double a0, double a1, double b0, double b1) => Math.Clamp(Math.Min(a1, b1) - Math.Max(a0, b0), 0, 1);

    private static LinearImage Render(Func<int, int, LinearRgb> colour)
    {
        var image = new LinearImage(Width, Height);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                image[x, y] = colour(x, y);
            }
        }

        return image;
    }
}
