using System.Buffers;

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
/// glint is sharp whatever the focus). The estimate carries a constant bias from the difference
/// operator and the pixel grid; it cancels against the calibration target's edges measured the
/// same way, which give the optics' own width (<see cref="DefocusBeyond"/>).
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
        var widths = new List<double>();
        Collect(plane, width, height, excluded, (widthSquared, _) => widths.Add(widthSquared));
        if (widths.Count < MinEdges)
        {
            return double.NaN;
        }

        widths.Sort();
        return Math.Sqrt(widths[(int)(EdgePercentile * (widths.Count - 1))]);
    }

    /// <summary>Every edge found: its squared width (with the bias) and its energy at the coarse scale, noise taken off.</summary>
    public static List<(double WidthSquared, double Energy)> Edges(float[] plane, int width, int height, Func<int, int, bool>? excluded = null)
    {
        var edges = new List<(double, double)>();
        Collect(plane, width, height, excluded, (widthSquared, energy) => edges.Add((widthSquared, energy)));
        return edges;
    }

    private static void Collect(float[] plane, int width, int height, Func<int, int, bool>? excluded, Action<double, double> found)
    {
        ArgumentNullException.ThrowIfNull(plane);
        if (plane.Length != width * height || width < 16 || height < 16)
        {
            throw new ArgumentException("the plane is not width × height, at least 16 × 16", nameof(plane));
        }

        // Working planes from the shared pool: fresh ones cost more in page faults than the work
        // done in them. They hold what the frame's pixels became, so they go back cleared.
        var n = width * height;
        var pool = ArrayPool<float>.Shared;
        var (scratch, fine, coarse) = (pool.Rent(n), pool.Rent(n), pool.Rent(n));
        try
        {
            Smooth(plane, width, height, FineScale, scratch, fine);
            Smooth(plane, width, height, CoarseScale, scratch, coarse);
            Ridges(width, height, fine, coarse, Math.Max(NoiseSigma(plane, width, height, scratch), 0.25), excluded, found);
        }
        finally
        {
            pool.Return(scratch, clearArray: true);
            pool.Return(fine, clearArray: true);
            pool.Return(coarse, clearArray: true);
        }
    }

    private static void Ridges(int width, int height, float[] fine, float[] coarse, double noise, Func<int, int, bool>? excluded, Action<double, double> found)
    {
        // Noise adds its energy to each gradient (two components); taken off, the ratio is the edge's own.
        var fineNoise = 2 * Math.Pow(noise * FineGradientNoiseGain, 2);
        var coarseNoise = 2 * Math.Pow(noise * CoarseGradientNoiseGain, 2);
        // Compared squared: a square root per pixel is most of the loop's cost otherwise.
        var threshold = Math.Pow(NoiseFactor * noise * FineGradientNoiseGain, 2);
        var border = (int)Math.Ceiling(3 * CoarseScale) + 1;
        for (var y = border; y < height - border; y++)
        {
            for (var x = border; x < width - border; x++)
            {
                var (cx, cy) = Gradient(coarse, width, x, y);
                var g2 = (cx * cx) + (cy * cy);
                if (g2 < threshold || (excluded?.Invoke(x, y) ?? false))
                {
                    continue;
                }

                // A ridge of the gradient across the edge: a local maximum along its dominant axis.
                var (ox, oy) = Math.Abs(cx) >= Math.Abs(cy) ? (1, 0) : (0, 1);
                if (MagnitudeSquared(coarse, width, x - ox, y - oy) > g2 || MagnitudeSquared(coarse, width, x + ox, y + oy) >= g2)
                {
                    continue;
                }

                var (e1, e2) = (MagnitudeSquared(fine, width, x, y) - fineNoise, g2 - coarseNoise);
                if (e1 <= 0 || e2 <= 0)
                {
                    continue;
                }

                var r2 = e1 / e2;
                found(r2 <= 1.0001 ? double.PositiveInfinity : Math.Max(0, ((CoarseScale * CoarseScale) - (r2 * FineScale * FineScale)) / (r2 - 1)), e2);
            }
        }
    }

    /// <summary>Defocus beyond the optics' own blur: both measured the same way, so the estimator's bias (a variance) cancels.</summary>
    public static double DefocusBeyond(double frameBlur, double opticsBlur) =>
        double.IsNaN(frameBlur) ? double.NaN : Math.Sqrt(Math.Max(0, (frameBlur * frameBlur) - (opticsBlur * opticsBlur)));

    /// <summary>Standard deviation of each central-difference gradient component per unit of pixel noise, at each scale.</summary>
    private static readonly double FineGradientNoiseGain = GradientNoiseGain(FineScale), CoarseGradientNoiseGain = GradientNoiseGain(CoarseScale);

    private static (double X, double Y) Gradient(float[] p, int width, int x, int y)
    {
        var i = (y * width) + x;
        return ((p[i + 1] - p[i - 1]) * 0.5, (p[i + width] - p[i - width]) * 0.5);
    }

    private static double MagnitudeSquared(float[] p, int width, int x, int y)
    {
        var (gx, gy) = Gradient(p, width, x, y);
        return (gx * gx) + (gy * gy);
    }

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

    /// <summary>Separable Gaussian blur, edges clamped, into <paramref name="result"/> (<paramref name="across"/> is scratch).</summary>
    internal static void Smooth(float[] plane, int width, int height, double sigma, float[] across, float[] result)
    {
        var k = Kernel(sigma);
        var radius = k.Length / 2;
        Array.Clear(result, 0, width * height);
        for (var y = 0; y < height; y++)
        {
            var row = plane.AsSpan(y * width, width);
            var target = across.AsSpan(y * width, width);
            for (var x = 0; x < width; x++)
            {
                float sum = 0;
                if (x >= radius && x < width - radius)
                {
                    // The interior, which is nearly all of it: no clamping.
                    var window = row.Slice(x - radius, k.Length);
                    for (var j = 0; j < k.Length; j++)
                    {
                        sum += k[j] * window[j];
                    }
                }
                else
                {
                    for (var j = -radius; j <= radius; j++)
                    {
                        sum += k[j + radius] * row[Math.Clamp(x + j, 0, width - 1)];
                    }
                }

                target[x] = sum;
            }
        }

        // Down the columns a row at a time, so each pass reads and writes rows in order.
        for (var y = 0; y < height; y++)
        {
            var target = result.AsSpan(y * width, width);
            for (var j = -radius; j <= radius; j++)
            {
                var weight = k[j + radius];
                var source = across.AsSpan(Math.Clamp(y + j, 0, height - 1) * width, width);
                for (var x = 0; x < width; x++)
                {
                    target[x] += weight * source[x];
                }
            }
        }
    }

    /// <summary>
    /// The plane's pixel noise, by Immerkær's operator (a Laplacian difference that cancels
    /// planes and ramps), over the quieter half of the frame so texture does not pass for noise.
    /// </summary>
    internal static double NoiseSigma(float[] plane, int width, int height, float[] responses)
    {
        var n = 0;
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                var i = (y * width) + x;
                var v = plane[i - width - 1] + plane[i - width + 1] + plane[i + width - 1] + plane[i + width + 1]
                    - (2 * (plane[i - width] + plane[i + width] + plane[i - 1] + plane[i + 1]))
                    + (4 * plane[i]);
                responses[n++] = Math.Abs(v);
            }
        }

        // Mean of the quieter half, without sorting: a histogram finds the median's bin, and the
        // values below it are summed exactly (the median's own bin counts at its centre).
        // The median is at most twice the mean (Markov), so bins up to that hold it; larger values share the last bin.
        const int bins = 4096;
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            total += responses[i];
        }

        var half = n / 2;
        if (half == 0 || total <= 0)
        {
            return 0;
        }

        var counts = new int[bins + 1];
        var scale = bins / (2 * total / n);
        for (var i = 0; i < n; i++)
        {
            counts[Math.Min(bins, (int)(responses[i] * scale))]++;
        }

        var (bin, below) = (0, 0);
        while (below + counts[bin] < half)
        {
            below += counts[bin++];
        }

        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            if ((int)(responses[i] * scale) < bin)
            {
                sum += responses[i];
            }
        }

        sum += (half - below) * ((bin + 0.5) / scale);
        // The lower half of |N(0, 6σ)| has mean 6σ·0.3247 (a half-normal below its median).
        return sum / half / (6 * 0.3247);
    }

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
