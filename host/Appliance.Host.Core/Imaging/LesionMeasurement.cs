using Appliance.Calibration;

namespace Appliance.Host.Core.Imaging;

/// <summary>
/// Finds a pigmented lesion on a calibrated cross-polarised frame and measures it in calibrated
/// units, by a classical method: lightness (CIELAB L*) smoothed by a small box filter, split by
/// Otsu's threshold into darker and lighter, the darker region that holds the frame's centre (or,
/// if none does, the largest) kept, its holes filled. Area in mm² and the longest diameter (the
/// largest distance across the outline's convex hull) in mm from the calibration's pixels per
/// millimetre; mean colour in CIELAB over the lesion. The dermatologist can correct the outline on
/// the page; this is the starting point.
/// </summary>
public static class LesionMeasurement
{
    private const int SmoothingRadius = 2;

    /// <summary>How much darker (in L*) the lesion's side of the split must be than the skin's for it to be a lesion.</summary>
    private const double MinimumContrast = 6;

    /// <param name="rgb">sRGB, 8 bits per channel, row-major, calibrated.</param>
    public static LesionMeasure Measure(byte[] rgb, int width, int height, double pixelsPerMillimetre)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"{rgb.Length} bytes are not a {width}×{height} RGB frame", nameof(rgb));
        }

        if (pixelsPerMillimetre <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pixelsPerMillimetre), "the frame's scale must be known");
        }

        var lab = ToLab(rgb);
        var lightness = lab.Select(c => c.L).ToArray();
        var smooth = BoxSmooth(lightness, width, height, SmoothingRadius);
        var threshold = OtsuThreshold(smooth);
        var dark = new bool[smooth.Length];
        double darkSum = 0, lightSum = 0;
        var darkCount = 0;
        for (var i = 0; i < smooth.Length; i++)
        {
            dark[i] = smooth[i] < threshold;
            (darkSum, lightSum, darkCount) = dark[i] ? (darkSum + smooth[i], lightSum, darkCount + 1) : (darkSum, lightSum + smooth[i], darkCount);
        }

        // Skin's own texture and noise also split in two: only a real step in lightness is a lesion.
        if (darkCount == 0 || darkCount == smooth.Length || (lightSum / (smooth.Length - darkCount)) - (darkSum / darkCount) < MinimumContrast)
        {
            throw new InvalidOperationException("no lesion darker than the skin around it was found on the frame");
        }

        return Within(lab, width, height, pixelsPerMillimetre, FillHoles(LesionComponent(dark, width, height), width, height));
    }

    /// <summary>The lesion inside an outline given by hand (<see cref="LesionOutline.Rasterise"/>), measured as <see cref="Measure"/> does.</summary>
    public static LesionMeasure MeasureWithin(byte[] rgb, int width, int height, double pixelsPerMillimetre, bool[] mask)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(mask);
        if (rgb.Length != width * height * 3 || mask.Length != width * height)
        {
            throw new ArgumentException($"the frame and outline are not both {width}×{height}", nameof(mask));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixelsPerMillimetre);
        return Within(ToLab(rgb), width, height, pixelsPerMillimetre, mask);
    }

    private static Lab[] ToLab(byte[] rgb)
    {
        var lab = new Lab[rgb.Length / 3];
        for (var i = 0; i < lab.Length; i++)
        {
            lab[i] = ColourSpaces.SrgbToLab(rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]);
        }

        return lab;
    }

    private static LesionMeasure Within(Lab[] lab, int width, int height, double pixelsPerMillimetre, bool[] mask)
    {
        double area = 0, l = 0, a = 0, b = 0, cx = 0, cy = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i])
            {
                area++;
                (l, a, b) = (l + lab[i].L, a + lab[i].A, b + lab[i].B);
                (cx, cy) = (cx + (i % width), cy + (i / width));
            }
        }

        if (area == 0)
        {
            throw new InvalidOperationException("no lesion darker than the skin around it was found on the frame");
        }

        var perMm2 = pixelsPerMillimetre * pixelsPerMillimetre;
        return new LesionMeasure(width, height, mask, (int)area, area / perMm2, LongestDiameter(mask, width, height) / pixelsPerMillimetre,
            new Lab(l / area, a / area, b / area), cx / area, cy / area);
    }

    /// <summary>A mean over a (2r+1)² window, from a summed-area table: the same cost whatever the radius.</summary>
    private static double[] BoxSmooth(double[] values, int width, int height, int radius)
    {
        var sums = new double[(width + 1) * (height + 1)];
        for (var y = 0; y < height; y++)
        {
            double row = 0;
            for (var x = 0; x < width; x++)
            {
                row += values[(y * width) + x];
                sums[((y + 1) * (width + 1)) + x + 1] = sums[(y * (width + 1)) + x + 1] + row;
            }
        }

        var smooth = new double[values.Length];
        for (var y = 0; y < height; y++)
        {
            var (y0, y1) = (Math.Max(0, y - radius), Math.Min(height, y + radius + 1));
            for (var x = 0; x < width; x++)
            {
                var (x0, x1) = (Math.Max(0, x - radius), Math.Min(width, x + radius + 1));
                var total = sums[(y1 * (width + 1)) + x1] - sums[(y0 * (width + 1)) + x1] - sums[(y1 * (width + 1)) + x0] + sums[(y0 * (width + 1)) + x0];
                smooth[(y * width) + x] = total / ((y1 - y0) * (x1 - x0));
            }
        }

        return smooth;
    }

    /// <summary>Otsu's threshold on lightness (0–100) over 256 bins: the split with the largest between-class variance.</summary>
    private static double OtsuThreshold(double[] lightness)
    {
        const int Bins = 256;
        var histogram = new double[Bins];
        foreach (var value in lightness)
        {
            histogram[Math.Clamp((int)(value / 100.0 * (Bins - 1)), 0, Bins - 1)]++;
        }

        double total = lightness.Length, sumAll = 0;
        for (var i = 0; i < Bins; i++)
        {
            sumAll += i * histogram[i];
        }

        double below = 0, sumBelow = 0, best = -1;
        var split = Bins / 2;
        for (var i = 0; i < Bins - 1; i++)
        {
            below += histogram[i];
            sumBelow += i * histogram[i];
            var above = total - below;
            if (below == 0 || above == 0)
            {
                continue;
            }

            var between = below * above * Math.Pow((sumBelow / below) - ((sumAll - sumBelow) / above), 2);
            if (between > best)
            {
                (best, split) = (between, i);
            }
        }

        return (split + 1) * 100.0 / (Bins - 1);
    }

    /// <summary>The dark component holding the frame's centre, else the largest (4-connected).</summary>
    private static bool[] LesionComponent(bool[] dark, int width, int height)
    {
        var label = new int[dark.Length];
        var sizes = new List<int> { 0 };
        var queue = new Queue<int>();
        for (var start = 0; start < dark.Length; start++)
        {
            if (!dark[start] || label[start] != 0)
            {
                continue;
            }

            var id = sizes.Count;
            var size = 0;
            label[start] = id;
            queue.Enqueue(start);
            while (queue.TryDequeue(out var i))
            {
                size++;
                foreach (var n in Neighbours(i, width, height))
                {
                    if (dark[n] && label[n] == 0)
                    {
                        label[n] = id;
                        queue.Enqueue(n);
                    }
                }
            }

            sizes.Add(size);
        }

        var centre = label[((height / 2) * width) + (width / 2)];
        var chosen = centre != 0 ? centre : sizes.Count > 1 ? sizes.IndexOf(sizes.Skip(1).Max()) : 0;
        return [.. label.Select(l => chosen != 0 && l == chosen)];
    }

    /// <summary>Everything the outside cannot reach without crossing the lesion is the lesion (a lighter centre, a glint).</summary>
    private static bool[] FillHoles(bool[] mask, int width, int height)
    {
        var outside = new bool[mask.Length];
        var queue = new Queue<int>();
        for (var i = 0; i < mask.Length; i++)
        {
            var (x, y) = (i % width, i / width);
            if (!mask[i] && (x == 0 || y == 0 || x == width - 1 || y == height - 1))
            {
                outside[i] = true;
                queue.Enqueue(i);
            }
        }

        while (queue.TryDequeue(out var i))
        {
            foreach (var n in Neighbours(i, width, height))
            {
                if (!mask[n] && !outside[n])
                {
                    outside[n] = true;
                    queue.Enqueue(n);
                }
            }
        }

        return [.. outside.Select(o => !o)];
    }

    private static IEnumerable<int> Neighbours(int i, int width, int height)
    {
        var (x, y) = (i % width, i / width);
        if (x > 0)
        {
            yield return i - 1;
        }

        if (x < width - 1)
        {
            yield return i + 1;
        }

        if (y > 0)
        {
            yield return i - width;
        }

        if (y < height - 1)
        {
            yield return i + width;
        }
    }

    /// <summary>
    /// The largest distance between two points of the lesion, in pixels: over the convex hull of
    /// its pixels' outer corners (so a one-pixel lesion is one pixel across, not zero).
    /// </summary>
    private static double LongestDiameter(bool[] mask, int width, int height)
    {
        var corners = new List<(double X, double Y)>();
        for (var y = 0; y < height; y++)
        {
            var row = y * width;
            var first = -1;
            var last = -1;
            for (var x = 0; x < width; x++)
            {
                if (mask[row + x])
                {
                    first = first < 0 ? x : first;
                    last = x;
                }
            }

            if (first >= 0)
            {
                corners.AddRange([(first, y), (first, y + 1), (last + 1, y), (last + 1, y + 1)]);
            }
        }

        var hull = ConvexHull(corners);
        double longest = 0;
        for (var i = 0; i < hull.Count; i++)
        {
            for (var j = i + 1; j < hull.Count; j++)
            {
                longest = Math.Max(longest, Math.Sqrt(Math.Pow(hull[i].X - hull[j].X, 2) + Math.Pow(hull[i].Y - hull[j].Y, 2)));
            }
        }

        return longest;
    }

    /// <summary>Andrew's monotone chain.</summary>
    private static List<(double X, double Y)> ConvexHull(List<(double X, double Y)> points)
    {
        var sorted = points.Distinct().OrderBy(p => p.X).ThenBy(p => p.Y).ToList();
        if (sorted.Count < 3)
        {
            return sorted;
        }

        static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) => ((a.X - o.X) * (b.Y - o.Y)) - ((a.Y - o.Y) * (b.X - o.X));
        var hull = new List<(double X, double Y)>();
        foreach (var pass in new[] { sorted, Enumerable.Reverse(sorted).ToList() })
        {
            var start = hull.Count;
            foreach (var p in pass)
            {
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], p) <= 0)
                {
                    hull.RemoveAt(hull.Count - 1);
                }

                hull.Add(p);
            }

            hull.RemoveAt(hull.Count - 1);
        }

        return hull;
    }
}
