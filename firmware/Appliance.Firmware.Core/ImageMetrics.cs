namespace Appliance.Firmware.Core;

/// <summary>
/// The motion measure of the quality checks, in plain managed code so that it runs the same on
/// the Pi (arm64) as on a laptop. Works on <see cref="FrameMeasurement"/>s.
/// </summary>
public static class ImageMetrics
{
    /// <summary>Largest side of the window compared at the finer levels: the centre of the frame, where the lesion is.</summary>
    private const int MaxWindow = 256;

    /// <summary>
    /// The shift (in full-resolution pixels) that best aligns <paramref name="b"/> onto
    /// <paramref name="a"/>, by normalised cross-correlation on an image pyramid: a full search
    /// on a small top level built from the quarter-resolution planes, ±2 refinements at each
    /// finer level, then at half and full resolution on a central window of at most
    /// <see cref="MaxWindow"/> pixels, so the cost does not grow with the sensor. Normalisation
    /// makes it tolerant of the two frames' different lighting; highlights are flattened out.
    /// The shift found stands only if the frames match better there than within ±2 pixels of
    /// where they stand.
    /// </summary>
    /// <returns>The shift, and how well the frames match at it at full resolution (normalised cross-correlation, −1 to 1).</returns>
    public static (int Dx, int Dy, double Match) EstimateShift(FrameMeasurement a, FrameMeasurement b, int maxShift)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Frame.Width != b.Frame.Width || a.Frame.Height != b.Frame.Height)
        {
            throw new ArgumentException("the two frames differ in size", nameof(b));
        }

        var levels = new List<(float[] A, float[] B, int W, int H)> { (a.QuarterLuma, b.QuarterLuma, a.QuarterWidth, a.QuarterHeight) };
        while (Math.Min(levels[^1].W, levels[^1].H) > 120)
        {
            var (la, lb, lw, lh) = levels[^1];
            var (da, dw, dh) = Halve(la, lw, lh);
            var (db, _, _) = Halve(lb, lw, lh);
            levels.Add((da, db, dw, dh));
        }

        var top = levels[^1];
        var scale = 4 << (levels.Count - 1);
        var range = Math.Max(1, (maxShift + scale - 1) / scale);
        var (dx, dy) = BestShift(top.A, top.B, top.W, top.H, -range, range, -range, range, top.W / 8, top.H / 8, top.W - (top.W / 8), top.H - (top.H / 8));
        for (var level = levels.Count - 2; level >= 0; level--)
        {
            var (la, lb, lw, lh) = levels[level];
            (dx, dy) = (dx * 2, dy * 2);
            var (x0, y0, x1, y1) = CentralWindow(lw, lh);
            (dx, dy) = BestShift(la, lb, lw, lh, dx - 2, dx + 2, dy - 2, dy + 2, x0, y0, x1, y1);
        }

        (dx, dy, _) = RefineOnWindow(a, b, dx * 2, dy * 2, scale: 2);
        var found = RefineOnWindow(a, b, dx * 2, dy * 2, scale: 1);
        if (Math.Abs(found.Dx) <= 2 && Math.Abs(found.Dy) <= 2)
        {
            return found; // a tremor at most: nothing to check against staying put
        }

        // The coarse levels see little of frames with little texture left (a defocused series),
        // and may settle on a shift that matches worse, at full resolution, than none at all:
        // the frames then did not move beyond a tremor.
        var still = RefineOnWindow(a, b, 0, 0, scale: 1);
        return still.Match >= found.Match ? still : found;
    }

    private static (int X0, int Y0, int X1, int Y1) CentralWindow(int width, int height)
    {
        var w = Math.Min(MaxWindow, width / 2);
        var h = Math.Min(MaxWindow, height / 2);
        var x0 = (width - w) / 2;
        var y0 = (height - h) / 2;
        return (x0, y0, x0 + w, y0 + h);
    }

    /// <summary>A ±2 step on the central window of a grid <paramref name="scale"/> times coarser than the frame.</summary>
    private static (int Dx, int Dy, double Match) RefineOnWindow(FrameMeasurement a, FrameMeasurement b, int dx, int dy, int scale)
    {
        const int reach = 2;
        var (x0, y0, x1, y1) = CentralWindow(a.Frame.Width / scale, a.Frame.Height / scale);
        int w = x1 - x0, h = y1 - y0;
        var windowA = a.LumaWindow(x0, y0, w, h, scale);
        // b's window covers every candidate shift: a(x, y) pairs with b(x + dx + ox, y + dy + oy), |ox|, |oy| ≤ reach.
        int bw = w + (2 * reach), bh = h + (2 * reach);
        var windowB = b.LumaWindow(x0 + dx - reach, y0 + dy - reach, bw, bh, scale);
        var best = double.NegativeInfinity;
        var result = (dx, dy);
        for (var oy = -reach; oy <= reach; oy++)
        {
            for (var ox = -reach; ox <= reach; ox++)
            {
                var score = WindowNcc(windowA, w, h, windowB, bw, ox + reach, oy + reach);
                if (score > best)
                {
                    best = score;
                    result = (dx + ox, dy + oy);
                }
            }
        }

        return (result.dx, result.dy, best);
    }

    private static double WindowNcc(float[] a, int w, int h, float[] b, int bw, int offsetX, int offsetY)
    {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (var y = 0; y < h; y++)
        {
            var ra = y * w;
            var rb = ((y + offsetY) * bw) + offsetX;
            for (var x = 0; x < w; x++)
            {
                double va = a[ra + x];
                double vb = b[rb + x];
                sa += va;
                sb += vb;
                saa += va * va;
                sbb += vb * vb;
                sab += va * vb;
            }
        }

        double n = w * h;
        var cov = (sab / n) - (sa / n * (sb / n));
        var va2 = (saa / n) - (sa / n * (sa / n));
        var vb2 = (sbb / n) - (sb / n * (sb / n));
        return va2 <= 0 || vb2 <= 0 ? double.NegativeInfinity : cov / Math.Sqrt(va2 * vb2);
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
