namespace Appliance.Firmware.Core;

/// <summary>
/// Image measurements for the quality checks, in plain managed code so that they run the
/// same on the Pi (arm64) as on a laptop. Each works on luma (BT.601) of a packed RGB24 frame.
/// </summary>
public static class ImageMetrics
{
    /// <summary>Luma at or above this is treated as clipped.</summary>
    private const float Saturated = 250f;

    /// <summary>How far (pixels) around a clipped pixel the focus and motion measures look away.</summary>
    private const int HighlightMargin = 3;

    public static float[] Luma(CapturedFrame frame)
    {
        var p = frame.Pixels;
        var luma = new float[frame.Width * frame.Height];
        for (int i = 0, j = 0; j < luma.Length; i += 3, j++)
        {
            luma[j] = (0.299f * p[i]) + (0.587f * p[i + 1]) + (0.114f * p[i + 2]);
        }

        return luma;
    }

    /// <summary>
    /// Focus score: variance of the Laplacian divided by the squared mean level, so that it
    /// measures sharpness and not exposure (a dark frame is "too dark", not also "blurred").
    /// </summary>
    public static double FocusScore(float[] luma, int width, int height)
    {
        double mean = 0;
        foreach (var v in luma)
        {
            mean += v;
        }

        mean /= luma.Length;
        return mean < 1 ? 0 : LaplacianVariance(luma, width, height) / (mean * mean) * 1e4;
    }

    /// <summary>
    /// Variance of the 4-neighbour Laplacian: high for a sharp image, falling fast with blur.
    /// Pixels within <see cref="HighlightMargin"/> of a clipped one are left out: specular
    /// highlights and their halos are sharp whatever the focus.
    /// </summary>
    public static double LaplacianVariance(float[] luma, int width, int height)
    {
        var near = NearSaturated(luma, width, height);
        double sum = 0, sumSq = 0;
        long n = 0;
        for (var y = 1; y < height - 1; y++)
        {
            var row = y * width;
            for (var x = 1; x < width - 1; x++)
            {
                var i = row + x;
                if (near is not null && near[i])
                {
                    continue;
                }

                double lap = luma[i - 1] + luma[i + 1] + luma[i - width] + luma[i + width] - (4 * luma[i]);
                sum += lap;
                sumSq += lap * lap;
                n++;
            }
        }

        if (n == 0)
        {
            return 0;
        }

        var mean = sum / n;
        return (sumSq / n) - (mean * mean);
    }

    /// <summary>
    /// The shift (in full-resolution pixels) that best aligns <paramref name="b"/> onto
    /// <paramref name="a"/>, by normalised cross-correlation on an image pyramid: a full search
    /// on a small top level, then ±2 refinements down to full resolution on the central part
    /// of the frame. Normalisation makes it tolerant of the two frames' different lighting.
    /// </summary>
    public static (int Dx, int Dy) EstimateShift(float[] a, float[] b, int width, int height, int maxShift)
    {
        // Highlights differ between the two lightings by design; flatten them so they do not steer the match.
        a = WithoutHighlights(a, width, height);
        b = WithoutHighlights(b, width, height);
        var levels = new List<(float[] A, float[] B, int W, int H)> { (a, b, width, height) };
        while (Math.Min(levels[^1].W, levels[^1].H) > 120)
        {
            var (la, lb, lw, lh) = levels[^1];
            var (da, dw, dh) = Halve(la, lw, lh);
            var (db, _, _) = Halve(lb, lw, lh);
            levels.Add((da, db, dw, dh));
        }

        var top = levels[^1];
        var scale = 1 << (levels.Count - 1);
        var range = Math.Max(1, (maxShift + scale - 1) / scale);
        var (dx, dy) = BestShift(top.A, top.B, top.W, top.H, -range, range, -range, range, top.W / 8, top.H / 8, top.W - (top.W / 8), top.H - (top.H / 8));
        for (var level = levels.Count - 2; level >= 0; level--)
        {
            var (la, lb, lw, lh) = levels[level];
            (dx, dy) = (dx * 2, dy * 2);
            (dx, dy) = BestShift(la, lb, lw, lh, dx - 2, dx + 2, dy - 2, dy + 2, lw / 4, lh / 4, lw - (lw / 4), lh - (lh / 4));
        }

        return (dx, dy);
    }

    private static (int, int) BestShift(float[] a, float[] b, int w, int h, int dxMin, int dxMax, int dyMin, int dyMax, int x0, int y0, int x1, int y1)
    {
        var best = double.NegativeInfinity;
        var result = (0, 0);
        for (var dy = dyMin; dy <= dyMax; dy++)
        {
            for (var dx = dxMin; dx <= dxMax; dx++)
            {
                var score = Ncc(a, b, w, h, dx, dy, x0, y0, x1, y1);
                if (score > best)
                {
                    best = score;
                    result = (dx, dy);
                }
            }
        }

        return result;
    }

    /// <summary>Correlation of a(x, y) with b(x + dx, y + dy) over the window, skipping pixels outside b.</summary>
    private static double Ncc(float[] a, float[] b, int w, int h, int dx, int dy, int x0, int y0, int x1, int y1)
    {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        long n = 0;
        for (var y = Math.Max(y0, -dy); y < Math.Min(y1, h - dy); y++)
        {
            var ra = y * w;
            var rb = (y + dy) * w;
            for (var x = Math.Max(x0, -dx); x < Math.Min(x1, w - dx); x++)
            {
                double va = a[ra + x];
                double vb = b[rb + x + dx];
                sa += va;
                sb += vb;
                saa += va * va;
                sbb += vb * vb;
                sab += va * vb;
                n++;
            }
        }

        if (n < 16)
        {
            return double.NegativeInfinity;
        }

        var cov = (sab / n) - (sa / n * (sb / n));
        var va2 = (saa / n) - (sa / n * (sa / n));
        var vb2 = (sbb / n) - (sb / n * (sb / n));
        return va2 <= 0 || vb2 <= 0 ? double.NegativeInfinity : cov / Math.Sqrt(va2 * vb2);
    }

    /// <summary>Marks pixels within <see cref="HighlightMargin"/> of a clipped one; null when nothing is clipped.</summary>
    private static bool[]? NearSaturated(float[] luma, int width, int height)
    {
        var rows = new bool[luma.Length];
        var any = false;
        for (var y = 0; y < height; y++)
        {
            var row = y * width;
            var last = -HighlightMargin - 1;
            for (var x = 0; x < width; x++)
            {
                if (luma[row + x] >= Saturated)
                {
                    last = x;
                    any = true;
                    for (var k = Math.Max(0, x - HighlightMargin); k < x; k++)
                    {
                        rows[row + k] = true;
                    }
                }

                if (x - last <= HighlightMargin)
                {
                    rows[row + x] = true;
                }
            }
        }

        if (!any)
        {
            return null;
        }

        var result = new bool[luma.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (!rows[(y * width) + x])
                {
                    continue;
                }

                for (var yy = Math.Max(0, y - HighlightMargin); yy <= Math.Min(height - 1, y + HighlightMargin); yy++)
                {
                    result[(yy * width) + x] = true;
                }
            }
        }

        return result;
    }

    private static float[] WithoutHighlights(float[] luma, int width, int height)
    {
        var near = NearSaturated(luma, width, height);
        if (near is null)
        {
            return luma;
        }

        double sum = 0;
        var n = 0;
        for (var i = 0; i < luma.Length; i++)
        {
            if (!near[i])
            {
                sum += luma[i];
                n++;
            }
        }

        var fill = n == 0 ? 0f : (float)(sum / n);
        var result = (float[])luma.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            if (near[i])
            {
                result[i] = fill;
            }
        }

        return result;
    }

    private static (float[] Data, int Width, int Height) Halve(float[] source, int width, int height)
    {
        var w = width / 2;
        var h = height / 2;
        var result = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            var r0 = 2 * y * width;
            var r1 = r0 + width;
            for (var x = 0; x < w; x++)
            {
                var c = 2 * x;
                result[(y * w) + x] = (source[r0 + c] + source[r0 + c + 1] + source[r1 + c] + source[r1 + c + 1]) * 0.25f;
            }
        }

        return (result, w, h);
    }
}
