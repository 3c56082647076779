namespace Appliance.Firmware.Core;

/// <summary>
/// How wide the frame's sharpest edges are, in pixels: a no-reference sharpness measure that does
/// not depend on how much texture the scene has or how bright it is, so that one limit serves
/// every patient's skin. It compares the luma gradient at each edge after two small Gaussian
/// blurs (σ <see cref="FineScale"/> and <see cref="CoarseScale"/>): at a step edge of blur σ the
/// gradient's peak falls as 1/√(σ² + s²) with the blur s applied, so the ratio r of the two peaks
/// gives σ² = (s₂² − r² s₁²) / (r² − 1), whatever the edge's contrast (Hu and de Haan's re-blur
/// estimate). The frame's figure is a low percentile over its edges: a defocused frame has no
/// sharp edge anywhere, a focused one has many even where the depth of field softens the rest.
/// Edges must stand well above the frame's own noise, and highlights are left out (a specular
/// glint is sharp whatever the focus). Each edge's estimate carries a constant bias from the
/// difference operator and the pixel grid, which cancels against the calibration target's edges
/// measured the same way (<see cref="DefocusBeyond"/>); on ideal steps the median edge gives the
/// applied σ within 5 %. On real scenes the low percentile reads below a uniform defocus's σ
/// (noise and texture spread the widths), so the limit on it was set on photographs, not derived.
/// </summary>
public static class EdgeBlurEstimator
{
    public const double FineScale = 0.6, CoarseScale = 1.6;

    /// <summary>
    /// Which low percentile of the edges' widths stands for the frame: the sharpest twentieth,
    /// so a shallow depth of field or soft texture elsewhere does not count as defocus, while a
    /// few edges that pass for sharp by chance (noise, an aliased hair) do not decide it either.
    /// Chosen on the tuning half of the real photographs, against the 10th and 20th.
    /// </summary>
    public const double EdgePercentile = 0.05;

    /// <summary>An edge's gradient must exceed the fine-scale gradient's noise by this factor.</summary>
    public const double NoiseFactor = 8;

    /// <summary>Fewer edges than this in a frame and its sharpness is not measured.</summary>
    public const int MinEdges = 64;

    /// <summary>
    /// The frame's edge blur σ (with the estimator's constant bias) in pixels of the plane, or NaN
    /// where the plane has too few edges above its noise to say.
    /// </summary>
    /// <param name="plane">Luma, row by row, <paramref name="width"/> wide.</param>
    /// <param name="excluded">Optional: true where a pixel must not count as an edge (a highlight).</param>
    public static double Measure(float[] plane, int width, int height, Func<int, int, bool>? excluded = null)
    {
        var widths = Edges(plane, width, height, excluded);
        if (widths.Count < MinEdges)
        {
            return double.NaN;
        }

        widths.Sort();
        return Math.Sqrt(widths[(int)(EdgePercentile * (widths.Count - 1))]);
    }

    /// <summary>Every edge found: its squared width σ² (with the bias), in the order found.</summary>
    public static List<double> Edges(float[] plane, int width, int height, Func<int, int, bool>? excluded = null)
    {
        var widths = new List<double>();
        Collect(plane, width, height, excluded, widths);
        return widths;
    }

    private static void Collect(float[] plane, int width, int height, Func<int, int, bool>? excluded, List<double> widths)
    {
        ArgumentNullException.ThrowIfNull(plane);
        if (plane.Length != width * height || width < 16 || height < 16)
        {
            throw new ArgumentException("the plane is not width × height, at least 16 × 16", nameof(plane));
        }

        var noise = Math.Max(NoiseSigma(plane, width, height), 0.25);
        // Noise adds its energy to each gradient (two components); taken off, the ratio is the edge's own.
        var fineNoise = 2 * Math.Pow(noise * FineGradientNoiseGain, 2);
        var coarseNoise = 2 * Math.Pow(noise * CoarseGradientNoiseGain, 2);
        // Compared squared: a square root per pixel is most of the loop's cost otherwise.
        var threshold = Math.Pow(NoiseFactor * noise * FineGradientNoiseGain, 2);
        // The blurred planes a few rows at a time: a whole plane each would be megabytes per frame.
        var fine = new SmoothedRows(plane, width, height, FineScale);
        var coarse = new SmoothedRows(plane, width, height, CoarseScale);
        var border = (int)Math.Ceiling(3 * CoarseScale) + 1;
        for (var y = border; y < height - border; y++)
        {
            var (above2, above, here, below, below2) = (coarse.Row(y - 2), coarse.Row(y - 1), coarse.Row(y), coarse.Row(y + 1), coarse.Row(y + 2));
            var (fineAbove, fineHere, fineBelow) = (fine.Row(y - 1), fine.Row(y), fine.Row(y + 1));
            for (var x = border; x < width - border; x++)
            {
                var (cx, cy) = ((here[x + 1] - here[x - 1]) * 0.5, (below[x] - above[x]) * 0.5);
                var g2 = (cx * cx) + (cy * cy);
                if (g2 < threshold || (excluded?.Invoke(x, y) ?? false))
                {
                    continue;
                }

                // A ridge of the gradient across the edge: a local maximum along its dominant axis.
                var (before, after) = Math.Abs(cx) >= Math.Abs(cy)
                    ? (Squared(here[x] - here[x - 2], below[x - 1] - above[x - 1]), Squared(here[x + 2] - here[x], below[x + 1] - above[x + 1]))
                    : (Squared(above[x + 1] - above[x - 1], here[x] - above2[x]), Squared(below[x + 1] - below[x - 1], below2[x] - here[x]));
                if (before > g2 || after >= g2)
                {
                    continue;
                }

                var (e1, e2) = (Squared(fineHere[x + 1] - fineHere[x - 1], fineBelow[x] - fineAbove[x]) - fineNoise, g2 - coarseNoise);
                if (e1 <= 0 || e2 <= 0)
                {
                    continue;
                }

                var r2 = e1 / e2;
                widths.Add(r2 <= 1.0001 ? double.PositiveInfinity : Math.Max(0, ((CoarseScale * CoarseScale) - (r2 * FineScale * FineScale)) / (r2 - 1)));
            }
        }
    }

    /// <summary>The squared magnitude of a gradient given as two central differences (each half of it).</summary>
    private static double Squared(double dx, double dy) => ((dx * dx) + (dy * dy)) * 0.25;

    /// <summary>
    /// A separable Gaussian blur of a plane (edges clamped), produced a row at a time as rows are
    /// asked for in order: the rows blurred across and the rows blurred down are each kept in a
    /// small ring, so the memory is a few dozen rows whatever the plane's size.
    /// </summary>
    private sealed class SmoothedRows
    {
        private readonly float[] _plane;
        private readonly int _width, _height, _radius;
        private readonly float[] _kernel;
        private readonly float[][] _across, _down;
        private readonly int[] _acrossRow, _downRow;

        public SmoothedRows(float[] plane, int width, int height, double sigma)
        {
            (_plane, _width, _height, _kernel) = (plane, width, height, Kernel(sigma));
            _radius = _kernel.Length / 2;
            (_across, _acrossRow) = Ring((2 * _radius) + 8, width);
            (_down, _downRow) = Ring(8, width);
        }

        public float[] Row(int y)
        {
            var slot = y % _down.Length;
            if (_downRow[slot] == y)
            {
                return _down[slot];
            }

            var target = _down[slot];
            Array.Clear(target);
            for (var j = -_radius; j <= _radius; j++)
            {
                var weight = _kernel[j + _radius];
                var source = Across(Math.Clamp(y + j, 0, _height - 1));
                for (var x = 0; x < _width; x++)
                {
                    target[x] += weight * source[x];
                }
            }

            _downRow[slot] = y;
            return target;
        }

        private float[] Across(int y)
        {
            var slot = y % _across.Length;
            if (_acrossRow[slot] == y)
            {
                return _across[slot];
            }

            var row = _plane.AsSpan(y * _width, _width);
            var target = _across[slot];
            var (k, r) = (_kernel, _radius);
            for (var x = 0; x < _width; x++)
            {
                float sum = 0;
                if (x >= r && x < _width - r)
                {
                    // The interior, which is nearly all of it: no clamping.
                    var window = row.Slice(x - r, k.Length);
                    for (var j = 0; j < k.Length; j++)
                    {
                        sum += k[j] * window[j];
                    }
                }
                else
                {
                    for (var j = -r; j <= r; j++)
                    {
                        sum += k[j + r] * row[Math.Clamp(x + j, 0, _width - 1)];
                    }
                }

                target[x] = sum;
            }

            _acrossRow[slot] = y;
            return target;
        }

        private static (float[][] Rows, int[] Index) Ring(int size, int width)
        {
            var index = new int[size];
            Array.Fill(index, -1);
            return ([.. Enumerable.Range(0, size).Select(_ => new float[width])], index);
        }
    }

    /// <summary>Defocus beyond the optics' own blur: both measured the same way, so the estimator's bias (a variance) cancels.</summary>
    public static double DefocusBeyond(double frameBlur, double opticsBlur) =>
        double.IsNaN(frameBlur) ? double.NaN : Math.Sqrt(Math.Max(0, (frameBlur * frameBlur) - (opticsBlur * opticsBlur)));

    /// <summary>Standard deviation of each central-difference gradient component per unit of pixel noise, at each scale.</summary>
    private static readonly double FineGradientNoiseGain = GradientNoiseGain(FineScale), CoarseGradientNoiseGain = GradientNoiseGain(CoarseScale);

    internal static float[] Kernel(double sigma)
    {
        var radius = (int)Math.Ceiling(3 * sigma);
        var k = new float[(2 * radius) + 1];
        double sum = 0;
        for (var i = -radius; i <= radius; i++)
        {
            sum += k[i + radius] = (float)Math.Exp(-(i * i) / (2 * sigma * sigma));
        }

        for (var i = 0; i < k.Length; i++)
        {
            k[i] = (float)(k[i] / sum);
        }

        return k;
    }

    /// <summary>
    /// The plane's pixel noise, by Immerkær's operator (a Laplacian difference that cancels
    /// planes and ramps), over the quieter half of the frame so texture does not pass for noise.
    /// </summary>
    internal static double NoiseSigma(float[] plane, int width, int height)
    {
        // Mean of the quieter half without keeping or sorting the responses: their mean bounds the
        // median (at most twice it), a histogram up to that finds the median's bin, and the
        // responses below it are summed exactly (the median's own bin counts at its centre).
        // Three passes over the plane cost less than a plane of responses.
        const int bins = 4096;
        var n = (width - 2) * (height - 2);
        var half = n / 2;
        double total = 0;
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                total += Response(plane, width, (y * width) + x);
            }
        }

        if (half == 0 || total <= 0)
        {
            return 0;
        }

        var counts = new int[bins + 1];
        var scale = bins / (2 * total / n);
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                counts[Math.Min(bins, (int)(Response(plane, width, (y * width) + x) * scale))]++;
            }
        }

        var (bin, below) = (0, 0);
        while (below + counts[bin] < half)
        {
            below += counts[bin++];
        }

        double sum = 0;
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                var r = Response(plane, width, (y * width) + x);
                if ((int)(r * scale) < bin)
                {
                    sum += r;
                }
            }
        }

        sum += (half - below) * ((bin + 0.5) / scale);

        // For Gaussian noise of σ the operator's response has σ·6, and the lower half of |N(0, 6σ)| has mean 6σ·0.3247.
        return sum / half / (6 * 0.3247);
    }

    /// <summary>Immerkær's operator at one pixel, absolute.</summary>
    private static float Response(float[] p, int width, int i) =>
        Math.Abs(p[i - width - 1] + p[i - width + 1] + p[i + width - 1] + p[i + width + 1]
            - (2 * (p[i - width] + p[i + width] + p[i - 1] + p[i + 1]))
            + (4 * p[i]));

    private static double GradientNoiseGain(double sigma)
    {
        // Var of (a[x+1] − a[x−1]) / 2 for a = white noise blurred by the kernel k: (Σ_j (k[j−1] − k[j+1])²) / 4 along the axis, × Σ k² across.
        var k = Kernel(sigma);
        double across = k.Sum(v => (double)v * v);
        double along = 0;
        for (var j = -1; j <= k.Length; j++)
        {
            var a = j - 1 >= 0 && j - 1 < k.Length ? k[j - 1] : 0;
            var b = j + 1 >= 0 && j + 1 < k.Length ? k[j + 1] : 0;
            along += (a - b) * (a - b);
        }

        return Math.Sqrt(along / 4 * across);
    }
}
