using Appliance.Calibration;

namespace Appliance.TestData;

/// <summary>What a synthetic lesion truly is: the measurement never sees this.</summary>
public sealed record LesionTruth(double AreaPixels, double LongestDiameterPixels, Lab Colour, double CentreX, double CentreY);

/// <summary>
/// Calibrated frames of a lesion with known truth: an ellipse (semi-axes, rotation, centre) of one
/// colour on skin of another, each pixel's colour mixed by how much of it the ellipse covers (8×8
/// samples), then a box blur and Gaussian noise as a camera adds them; optionally a lighter centre
/// (regression) that still belongs to the lesion.
/// </summary>
public static class SyntheticLesions
{
    public static (byte[] Rgb, LesionTruth Truth) Render(
        int width, int height, double semiMajor, double semiMinor, double angleDegrees,
        (byte R, byte G, byte B) skin, (byte R, byte G, byte B) lesion,
        double centreX = double.NaN, double centreY = double.NaN, int blurRadius = 1, double noise = 2, int seed = 1, double lighterCentre = 0)
    {
        centreX = double.IsNaN(centreX) ? width / 2.0 : centreX;
        centreY = double.IsNaN(centreY) ? height / 2.0 : centreY;
        var (cos, sin) = (Math.Cos(angleDegrees * Math.PI / 180), Math.Sin(angleDegrees * Math.PI / 180));
        double Inside(double x, double y)
        {
            var (dx, dy) = (x - centreX, y - centreY);
            var (u, v) = ((dx * cos) + (dy * sin), (-dx * sin) + (dy * cos));
            return (u * u / (semiMajor * semiMajor)) + (v * v / (semiMinor * semiMinor));
        }

        const int Samples = 8;
        var plane = new double[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double covered = 0, centre = 0;
                for (var sy = 0; sy < Samples; sy++)
                {
                    for (var sx = 0; sx < Samples; sx++)
                    {
                        var r = Inside(x + ((sx + 0.5) / Samples), y + ((sy + 0.5) / Samples));
                        covered += r <= 1 ? 1 : 0;
                        centre += r <= 0.09 ? 1 : 0; // the inner 30 % of the radius
                    }
                }

                var (c, k) = (covered / (Samples * Samples), centre / (Samples * Samples) * lighterCentre);
                var i = 3 * ((y * width) + x);
                plane[i] = Mix(skin.R, lesion.R, c, k);
                plane[i + 1] = Mix(skin.G, lesion.G, c, k);
                plane[i + 2] = Mix(skin.B, lesion.B, c, k);
            }
        }

        var blurred = blurRadius > 0 ? Blur(plane, width, height, blurRadius) : plane;
        var random = new Random(seed);
        var rgb = new byte[blurred.Length];
        for (var i = 0; i < rgb.Length; i++)
        {
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            rgb[i] = (byte)Math.Clamp(Math.Round(blurred[i] + (noise * gaussian)), 0, 255);
        }

        return (rgb, new LesionTruth(Math.PI * semiMajor * semiMinor, 2 * Math.Max(semiMajor, semiMinor), ColourSpaces.SrgbToLab(lesion.R, lesion.G, lesion.B), centreX, centreY));
    }

    /// <summary>The lesion's colour where covered, lightened toward the skin in its centre by <paramref name="lighter"/>.</summary>
    private static double Mix(double skin, double lesion, double covered, double lighter) =>
        (skin * (1 - covered)) + (((lesion * (1 - lighter)) + (skin * lighter)) * covered);

    private static double[] Blur(double[] plane, int width, int height, int radius)
    {
        var result = new double[plane.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var ch = 0; ch < 3; ch++)
                {
                    double sum = 0;
                    var n = 0;
                    for (var yy = Math.Max(0, y - radius); yy <= Math.Min(height - 1, y + radius); yy++)
                    {
                        for (var xx = Math.Max(0, x - radius); xx <= Math.Min(width - 1, x + radius); xx++)
                        {
                            sum += plane[(3 * ((yy * width) + xx)) + ch];
                            n++;
                        }
                    }

                    result[(3 * ((y * width) + x)) + ch] = sum / n;
                }
            }
        }

        return result;
    }
}
