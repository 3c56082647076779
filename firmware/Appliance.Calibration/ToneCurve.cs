using Appliance.Protocol;

namespace Appliance.Calibration;

/// <summary>
/// Each channel's response to light, measured on the target's neutral patches: a camera's
/// pipeline rarely gives values exactly proportional to the light, and a colour matrix cannot
/// undo a curve. Kept two ways. <see cref="Levels"/> and <see cref="Luminance"/> are the neutrals
/// themselves (each channel's reading of each, and its true luminance), and the curve passes
/// through them piecewise in log-log, so a response of any rising shape (a shoulder, a black
/// offset, an image processor's tone map) is undone at each neutral and closely between them.
/// <see cref="Scale"/> and <see cref="Exponent"/> are a power law fitted to the same neutrals
/// (log-log least squares), which stands alone in profiles made before the neutrals were kept,
/// and when a channel's readings do not rise with the light (a clipped or noisy neutral).
/// </summary>
/// <param name="Levels">R, G, B per neutral, darkest first; null for a power law alone.</param>
/// <param name="Luminance">Each neutral's true luminance (Y, 0–1), rising; null for a power law alone.</param>
public sealed record ToneCurve(double[] Scale, double[] Exponent, double[]? Levels = null, double[]? Luminance = null)
{
    public static ToneCurve Identity { get; } = new([1, 1, 1], [1, 1, 1]);

    /// <summary>Whether the curve passes through its neutrals (rather than a power law alone).</summary>
    public bool ThroughNeutrals => Levels is not null && Luminance is not null;

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

        var order = Enumerable.Range(0, measured.Count).OrderBy(i => luminance[i]).ToList();
        var levels = order.SelectMany(i => new[] { measured[i].R, measured[i].G, measured[i].B }).ToArray();
        var rising = order.Select(i => luminance[i]).ToArray();
        return RingProfile.NeutralsRise(levels, rising) ? new ToneCurve(scale, exponent, levels, rising) : new ToneCurve(scale, exponent);
    }

    /// <summary>The camera's value back to light proportional to the scene.</summary>
    public LinearRgb Linearise(LinearRgb measured) => new(Invert(measured.R, 0), Invert(measured.G, 1), Invert(measured.B, 2));

    private double Invert(double value, int channel)
    {
        if (value <= 0)
        {
            return 0;
        }

        if (Levels is null || Luminance is null)
        {
            return Math.Pow(value / Scale[channel], 1 / Exponent[channel]);
        }

        // The segment between the two neutrals the value lies between; beyond the darkest or the
        // brightest, the nearest segment carried on.
        var n = Luminance.Length;
        var upper = 1;
        while (upper < n - 1 && value > Levels[(3 * upper) + channel])
        {
            upper++;
        }

        var (x0, x1) = (Math.Log(Levels[(3 * (upper - 1)) + channel]), Math.Log(Levels[(3 * upper) + channel]));
        var (y0, y1) = (Math.Log(Luminance[upper - 1]), Math.Log(Luminance[upper]));
        return Math.Exp(y0 + ((Math.Log(value) - x0) * (y1 - y0) / (x1 - x0)));
    }

    private static double Channel(LinearRgb c, int index) => index switch { 0 => c.R, 1 => c.G, _ => c.B };
}
