namespace Appliance.Calibration;

/// <summary>A colour in CIELAB (D65 white), the space colour differences are judged in.</summary>
public readonly record struct Lab(double L, double A, double B);

/// <summary>Linear-light RGB with the sRGB primaries, 0–1 for the displayable range.</summary>
public readonly record struct LinearRgb(double R, double G, double B)
{
    public static LinearRgb operator *(LinearRgb c, double k) => new(c.R * k, c.G * k, c.B * k);
}

/// <summary>
/// Conversions between 8-bit sRGB, linear RGB, CIE XYZ and CIELAB under D65, per IEC 61966-2-1
/// and CIE 15. All calibration arithmetic happens in linear light; ΔE is measured in Lab.
/// </summary>
public static class ColourSpaces
{
    // D65 reference white, Y = 1.
    private const double Xn = 0.95047, Yn = 1.0, Zn = 1.08883;

    /// <summary>The sRGB transfer function undone: an 8-bit (or fractional 0–255) value to linear light.</summary>
    public static double ToLinear(double srgb255)
    {
        var v = srgb255 / 255.0;
        return v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
    }

    /// <summary>Linear light to the sRGB-encoded value, 0–255, unclamped.</summary>
    public static double FromLinear(double linear) =>
        255.0 * (linear <= 0.0031308 ? 12.92 * linear : (1.055 * Math.Pow(linear, 1 / 2.4)) - 0.055);

    public static LinearRgb ToLinear(double r, double g, double b) => new(ToLinear(r), ToLinear(g), ToLinear(b));

    public static Lab ToLab(LinearRgb c)
    {
        var x = (0.4124564 * c.R) + (0.3575761 * c.G) + (0.1804375 * c.B);
        var y = (0.2126729 * c.R) + (0.7151522 * c.G) + (0.0721750 * c.B);
        var z = (0.0193339 * c.R) + (0.1191920 * c.G) + (0.9503041 * c.B);
        var (fx, fy, fz) = (F(x / Xn), F(y / Yn), F(z / Zn));
        return new Lab((116 * fy) - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    public static LinearRgb FromLab(Lab lab)
    {
        var fy = (lab.L + 16) / 116;
        var fx = fy + (lab.A / 500);
        var fz = fy - (lab.B / 200);
        var (x, y, z) = (Xn * FInverse(fx), Yn * FInverse(fy), Zn * FInverse(fz));
        return new LinearRgb(
            (3.2404542 * x) - (1.5371385 * y) - (0.4985314 * z),
            (-0.9692660 * x) + (1.8760108 * y) + (0.0415560 * z),
            (0.0556434 * x) - (0.2040259 * y) + (1.0572252 * z));
    }

    /// <summary>The Lab of an 8-bit sRGB colour.</summary>
    public static Lab SrgbToLab(double r, double g, double b) => ToLab(ToLinear(r, g, b));

    private const double Epsilon = 216.0 / 24389.0;
    private const double Kappa = 24389.0 / 27.0;

    private static double F(double t) => t > Epsilon ? Math.Cbrt(t) : ((Kappa * t) + 16) / 116;

    private static double FInverse(double f) => f * f * f > Epsilon ? f * f * f : ((116 * f) - 16) / Kappa;
}
