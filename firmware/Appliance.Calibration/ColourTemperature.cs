namespace Appliance.Calibration;

/// <summary>
/// Correlated colour temperature: from a light's colour in linear sRGB (through CIE XYZ and
/// its xy chromaticity, by McCamy's cubic, within a few kelvin of the Planckian locus between
/// 2000 K and 12500 K), and back: the colour of a black body at a temperature (Kim et al.'s
/// cubic spline of the Planckian locus, 1667–25000 K).
/// </summary>
public static class ColourTemperature
{
    public static double Correlated(LinearRgb light)
    {
        var (x, y) = Chromaticity(light);
        var n = (x - 0.3320) / (0.1858 - y);
        return (449 * n * n * n) + (3525 * n * n) + (6823.3 * n) + 5520.33;
    }

    /// <summary>CIE 1931 xy of a linear-sRGB colour (D65 primaries).</summary>
    public static (double X, double Y) Chromaticity(LinearRgb c)
    {
        var xx = (0.4124564 * c.R) + (0.3575761 * c.G) + (0.1804375 * c.B);
        var yy = (0.2126729 * c.R) + (0.7151522 * c.G) + (0.0721750 * c.B);
        var zz = (0.0193339 * c.R) + (0.1191920 * c.G) + (0.9503041 * c.B);
        var sum = xx + yy + zz;
        return sum <= 0 ? throw new ArgumentException("a light with no colour has no temperature", nameof(c)) : (xx / sum, yy / sum);
    }

    /// <summary>A black body's colour at <paramref name="kelvin"/> in linear sRGB, scaled so its largest channel is 1.</summary>
    public static LinearRgb PlanckianWhite(double kelvin)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kelvin, 1667);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(kelvin, 25000);
        var t = kelvin;
        var x = t <= 4000
            ? (-0.2661239e9 / (t * t * t)) - (0.2343589e6 / (t * t)) + (0.8776956e3 / t) + 0.179910
            : (-3.0258469e9 / (t * t * t)) + (2.1070379e6 / (t * t)) + (0.2226347e3 / t) + 0.240390;
        var y = t <= 2222 ? (-1.1063814 * x * x * x) - (1.34811020 * x * x) + (2.18555832 * x) - 0.20219683
            : t <= 4000 ? (-0.9549476 * x * x * x) - (1.37418593 * x * x) + (2.09137015 * x) - 0.16748867
            : (3.0817580 * x * x * x) - (5.87338670 * x * x) + (3.75112997 * x) - 0.37001483;
        var (xx, yy, zz) = (x / y, 1.0, (1 - x - y) / y);
        var r = (3.2404542 * xx) - (1.5371385 * yy) - (0.4985314 * zz);
        var g = (-0.9692660 * xx) + (1.8760108 * yy) + (0.0415560 * zz);
        var b = (0.0556434 * xx) - (0.2040259 * yy) + (1.0572252 * zz);
        var max = Math.Max(r, Math.Max(g, b));
        return new LinearRgb(Math.Max(r, 0) / max, Math.Max(g, 0) / max, Math.Max(b, 0) / max);
    }
}
