namespace Appliance.Firmware.Core;

/// <summary>
/// Image measurements for the quality checks, in plain managed code so that they run the
/// same on the Pi (arm64) as on a laptop. Each works on luma (BT.601) of a packed RGB24 frame.
/// </summary>
public static class ImageMetrics
{
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

    /// <summary>Variance of the 4-neighbour Laplacian: high for a sharp image, falling fast with blur.</summary>
    public static double LaplacianVariance(float[] luma, int width, int height)
    {
        double sum = 0, sumSq = 0;
        long n = 0;
        for (var y = 1; y < height - 1; y++)
        {
            var row = y * width;
            for (var x = 1; x < width - 1; x++)
            {
                var i = row + x;
                double lap = luma[i - 1] + luma[i + 1] + luma[i - width] + luma[i + width] - (4 * luma[i]);
                sum += lap;
                sumSq += lap * lap;
                n++;
            }
        }

        var mean = sum / n;
        return (sumSq / n) - (mean * mean);
    }

    /// <summary>
    /// The shift (in full-resolution pixels) that best aligns <paramref name="b"/> onto
    /// <paramref name="a"/>: normalised cross-correlation over a coarse grid of shifts on a
    /// downsampled copy, then refined at full resolution on the centre of the frame.
    /// Normalisation makes it tolerant of the two frames' different lighting.
    /// </summary>
    public static (int Dx, int Dy) EstimateShift(float[] a, float[] b, int width, int height, int maxShift)
    {
        var factor = Math.Max(1, Math.Min(width, height) / 120);
        var (sa, sw, sh) = Downsample(a, width, height, factor);
        var (sb, _, _) = Downsample(b, width, height, factor);
        var coarseMax = Math.Max(1, (maxShift + factor - 1) / factor);
        var (cdx, cdy) = BestShift(sa, sb, sw, sh, -coarseMax, coarseMax, -coarseMax, coarseMax, sw / 8, sh / 8, sw - (sw / 8), sh - (sh / 8));
        if (factor == 1)
        {
            return (cdx, cdy);
        }

        // Refine around the coarse answer on a central window at full resolution.
        var (fx, fy) = (cdx * factor, cdy * factor);
        var x0 = width / 4;
        var y0 = height / 4;
        return BestShift(a, b, width, height, fx - factor, fx + factor, fy - factor, fy + factor, x0, y0, width - x0, height - y0);
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

    private static (float[] Data, int Width, int Height) Downsample(float[] source, int width, int height, int factor)
    {
        if (factor == 1)
        {
            return (source, width, height);
        }

        var w = width / factor;
        var h = height / factor;
        var result = new float[w * h];
        var area = factor * factor;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                float sum = 0;
                for (var yy = 0; yy < factor; yy++)
                {
                    var row = ((y * factor) + yy) * width;
                    for (var xx = 0; xx < factor; xx++)
                    {
                        sum += source[row + (x * factor) + xx];
                    }
                }

                result[(y * w) + x] = sum / area;
            }
        }

        return (result, w, h);
    }
}
