using Appliance.Protocol;

namespace Appliance.Calibration;

/// <summary>
/// Each channel's response to light, measured on the target's neutral patches: a camera's
/// pipeline rarely gives values exactly proportional to the light, and a colour matrix cannot
/// undo a curve. Kept two ways. <see cref="Levels"/> and <see cref="Light"/> are the neutrals
/// themselves (each channel's reading of each, and the light it read), and the curve passes
/// through them piecewise in log-log, so a response of any rising shape (a shoulder, a black
/// offset, an image processor's tone map) is undone at each neutral and closely between them.
/// <see cref="Scale"/> and <see cref="Exponent"/> are a power law fitted to the same neutrals
/// (log-log least squares), which stands alone in profiles made before the neutrals were kept,
/// and when a channel's readings do not rise with the light (a clipped or noisy neutral).
/// </summary>
/// <param name="Levels">Channel by channel (red's neutrals, then green's, then blue's), each channel's readings, rising; null for a power law alone.</param>
/// <param name="Light">The light behind each of those readings, in the same order, rising; null for a power law alone.</param>
public sealed record ToneCurve(double[] Scale, double[] Exponent, double[]? Levels = null, double[]? Light = null)
{
    /// <summary>The neutrals in log-log, worked out once: a frame's every pixel passes through them.</summary>
    private InLogs? _logs;

    public static ToneCurve Identity { get; } = new([1, 1, 1], [1, 1, 1]);

    /// <summary>Whether the curve passes through its neutrals (rather than a power law alone).</summary>
    public bool ThroughNeutrals => Levels is not null && Light is not null;

    /// <param name="measured">The neutral patches as the camera saw them (flat-fielded, linear).</param>
    /// <param name="luminance">Their true luminance (Y, 0–1), the light every channel read.</param>
    public static ToneCurve Fit(IReadOnlyList<LinearRgb> measured, IReadOnlyList<double> luminance)
    {
        ArgumentNullException.ThrowIfNull(luminance);
        return Fit(measured, [.. luminance.Select(y => new LinearRgb(y, y, y))]);
    }

    /// <param name="measured">The neutral patches as the camera saw them.</param>
    /// <param name="light">The light behind each reading, per channel (a neutral's luminance, times the lens's fall-off there when the readings are not flat-fielded).</param>
    public static ToneCurve Fit(IReadOnlyList<LinearRgb> measured, IReadOnlyList<LinearRgb> light)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(light);
        if (measured.Count < 3 || light.Count != measured.Count)
        {
            throw new ArgumentException("a tone curve needs at least three neutral patches (white, a grey, black), each with its light", nameof(measured));
        }

        var scale = new double[3];
        var exponent = new double[3];
        var levels = new List<double>();
        var behind = new List<double>();
        for (var c = 0; c < 3; c++)
        {
            // log m = log k + γ log Y, over the patches with light enough to measure.
            var points = measured.Select((m, i) => (X: Math.Log(Channel(light[i], c)), Y: Math.Log(Channel(m, c))))
                .Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            var (mx, my) = (points.Average(p => p.X), points.Average(p => p.Y));
            var slope = points.Sum(p => (p.X - mx) * (p.Y - my)) / points.Sum(p => (p.X - mx) * (p.X - mx));
            exponent[c] = slope;
            scale[c] = Math.Exp(my - (slope * mx));

            var order = Enumerable.Range(0, measured.Count).OrderBy(i => Channel(light[i], c)).ToList();
            levels.AddRange(order.Select(i => Channel(measured[i], c)));
            behind.AddRange(order.Select(i => Channel(light[i], c)));
        }

        return RingProfile.NeutralsRise(levels, behind) ? new ToneCurve(scale, exponent, [.. levels], [.. behind]) : new ToneCurve(scale, exponent);
    }

    /// <summary>The camera's value back to light proportional to the scene.</summary>
    public LinearRgb Linearise(LinearRgb measured) => new(Invert(measured.R, 0), Invert(measured.G, 1), Invert(measured.B, 2));

    private double Invert(double value, int channel)
    {
        if (value <= 0)
        {
            return 0;
        }

        if (Levels is null || Light is null)
        {
            return Math.Pow(value / Scale[channel], 1 / Exponent[channel]);
        }

        // Worked out again if a copy (`with`) was given other neutrals than the ones worked out.
        var logs = _logs;
        if (logs is null || !ReferenceEquals(logs.Levels, Levels) || !ReferenceEquals(logs.Light, Light))
        {
            _logs = logs = new InLogs(Levels, Light);
        }

        // The segment between the two neutrals the value lies between; beyond the darkest or the
        // brightest, the nearest segment carried on.
        var n = Levels.Length / 3;
        var first = channel * n;
        var upper = first + 1;
        while (upper < first + n - 1 && value > Levels[upper])
        {
            upper++;
        }

        var (x0, x1) = (logs.LogLevels[upper - 1], logs.LogLevels[upper]);
        var (y0, y1) = (logs.LogLight[upper - 1], logs.LogLight[upper]);
        return Math.Exp(y0 + ((Math.Log(value) - x0) * (y1 - y0) / (x1 - x0)));
    }

    private sealed class InLogs(double[] levels, double[] light)
    {
        public double[] Levels { get; } = levels;

        public double[] Light { get; } = light;

        public double[] LogLevels { get; } = [.. levels.Select(v => Math.Log(v))];

        public double[] LogLight { get; } = [.. light.Select(v => Math.Log(v))];
    }

    private static double Channel(LinearRgb c, int index) => index switch { 0 => c.R, 1 => c.G, _ => c.B };
}
