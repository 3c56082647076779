namespace Appliance.Calibration;

/// <summary>
/// Each channel's response to light, measured on the target's neutral patches: a camera's
/// pipeline rarely gives values exactly proportional to the light, and a colour matrix cannot
/// undo a curve. Fitted as a power law per channel (log-log least squares over the neutrals,
/// whose true R = G = B is their luminance) and inverted before the colour correction.
/// </summary>
public sealed record ToneCurve(double[] Scale, double[] Exponent)
{
    public static ToneCurve Identity { get; } = new([1, 1, 1], [1, 1, 1]);

    /// <param name="measured">The neutral patches as the camera saw them (flat-fielded, linear).</param>
    /// <param name="luminance">Their true luminance (Y, 0–1).</param>
    public static ToneCurve Fit(IReadOnlyList<LinearRgb> measured, IReadOnlyList<double> luminance)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(luminance);
        if (measured.Count < 3)
        {
            throw new ArgumentException("a tone curve needs at least three neutral patches (white, a grey, black)", nameof(measured));
        }

        var scale = new double[3];
        var exponent = new double[3];
        for (var c = 0; c < 3; c++)
        {
            // log m = log k + γ log Y, over the patches with light enough to measure.
            var points = measured.Select((m, i) => (X: Math.Log(luminance[i]), Y: Math.Log(Channel(m, c))))
                .Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            var (mx, my) = (points.Average(p => p.X), points.Average(p => p.Y));
            var slope = points.Sum(p => (p.X - mx) * (p.Y - my)) / points.Sum(p => (p.X - mx) * (p.X - mx));
            exponent[c] = slope;
            scale[c] = Math.Exp(my - (slope * mx));
        }

        return new ToneCurve(scale, exponent);
    }

    /// <summary>The camera's value back to light proportional to the scene.</summary>
    public LinearRgb Linearise(LinearRgb measured) => new(Invert(measured.R, 0), Invert(measured.G, 1), Invert(measured.B, 2));

    private double Invert(double value, int channel) => value <= 0 ? 0 : Math.Pow(value / Scale[channel], 1 / Exponent[channel]);

    private static double Channel(LinearRgb c, int index) => index switch { 0 => c.R, 1 => c.G, _ => c.B };
}
