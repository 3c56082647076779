namespace Appliance.Host.Core.Imaging;

/// <summary>A grey frame for registration: luminance (made comparable between visits by <see cref="Normalised"/>), and the pixels left out of the fit.</summary>
/// <param name="Excluded">Pixels left out of the fit (the lesion, which may have changed); null for none.</param>
internal sealed record GreyImage(int Width, int Height, float[] Values, bool[]? Excluded = null)
{
    /// <summary>This image with <paramref name="mask"/> grown by <paramref name="radius"/> pixels left out (a square neighbourhood).</summary>
    public GreyImage Excluding(bool[]? mask, int radius)
    {
        if (mask is null)
        {
            return this;
        }

        // Rows then columns: a square dilation at the cost of two one-dimensional passes.
        var rows = new bool[mask.Length];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                for (var dx = Math.Max(0, x - radius); dx <= Math.Min(Width - 1, x + radius) && !rows[(y * Width) + x]; dx++)
                {
                    rows[(y * Width) + x] = mask[(y * Width) + dx];
                }
            }
        }

        var grown = new bool[mask.Length];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                for (var dy = Math.Max(0, y - radius); dy <= Math.Min(Height - 1, y + radius) && !grown[(y * Width) + x]; dy++)
                {
                    grown[(y * Width) + x] = rows[(dy * Width) + x];
                }
            }
        }

        // Where the lesion fills nearly the whole frame there is too little skin to register on: use everything.
        return grown.Count(e => !e) < grown.Length / 5 ? this : this with { Excluded = grown };
    }

    public bool IsExcluded(double x, double y) =>
        Excluded is { } e && e[(Math.Clamp((int)Math.Round(y), 0, Height - 1) * Width) + Math.Clamp((int)Math.Round(x), 0, Width - 1)];

    /// <summary>Luminance, not yet normalised (<see cref="Normalised"/>).</summary>
    public static GreyImage FromRgb24(byte[] rgb, int width, int height)
    {
        var values = new float[width * height];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((0.299 * rgb[3 * i]) + (0.587 * rgb[(3 * i) + 1]) + (0.114 * rgb[(3 * i) + 2]));
        }

        return new GreyImage(width, height, values);
    }

    /// <summary>
    /// Zero mean and unit spread over the pixels that take part: two visits under different
    /// calibrations differ a little in brightness and contrast overall, and a lesion that grew
    /// would shift the whole frame's mean if it were counted.
    /// </summary>
    public GreyImage Normalised()
    {
        double sum = 0, squares = 0;
        var count = 0;
        for (var i = 0; i < Values.Length; i++)
        {
            if (Excluded is null || !Excluded[i])
            {
                (sum, squares, count) = (sum + Values[i], squares + ((double)Values[i] * Values[i]), count + 1);
            }
        }

        var mean = sum / count;
        var spread = Math.Max(1e-6, Math.Sqrt(Math.Max(0, (squares / count) - (mean * mean))));
        return this with { Values = [.. Values.Select(v => (float)((v - mean) / spread))] };
    }

    /// <summary>Half the size, each value the mean of a 2×2 block.</summary>
    public GreyImage Half()
    {
        var (w, h) = (Width / 2, Height / 2);
        var values = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var i = (2 * y * Width) + (2 * x);
                values[(y * w) + x] = (Values[i] + Values[i + 1] + Values[i + Width] + Values[i + Width + 1]) / 4;
            }
        }

        bool[]? excluded = null;
        if (Excluded is { } e)
        {
            excluded = new bool[w * h];
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var i = (2 * y * Width) + (2 * x);
                    excluded[(y * w) + x] = e[i] || e[i + 1] || e[i + Width] || e[i + Width + 1];
                }
            }
        }

        return new GreyImage(w, h, values, excluded);
    }

    /// <summary>Bilinear sample with its gradient; false outside the frame (a one-pixel margin).</summary>
    public bool Sample(double x, double y, out double value, out double gx, out double gy)
    {
        var (x0, y0) = ((int)Math.Floor(x), (int)Math.Floor(y));
        if (x0 < 1 || y0 < 1 || x0 >= Width - 2 || y0 >= Height - 2)
        {
            (value, gx, gy) = (0, 0, 0);
            return false;
        }

        var (fx, fy) = (x - x0, y - y0);
        double At(int xx, int yy) => Values[(yy * Width) + xx];
        double Bilinear(int xx, int yy) =>
            (At(xx, yy) * (1 - fx) * (1 - fy)) + (At(xx + 1, yy) * fx * (1 - fy)) + (At(xx, yy + 1) * (1 - fx) * fy) + (At(xx + 1, yy + 1) * fx * fy);
        value = Bilinear(x0, y0);
        gx = (Bilinear(x0 + 1, y0) - Bilinear(x0 - 1, y0)) / 2;
        gy = (Bilinear(x0, y0 + 1) - Bilinear(x0, y0 - 1)) / 2;
        return true;
    }
}
