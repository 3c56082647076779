namespace Appliance.Calibration;

/// <summary>
/// Flat-field (vignetting) correction from a frame of a uniform white card taken under the same
/// ring: the lens and the ring light the edges less than the centre, by a factor that a
/// division in linear light undoes. The card is averaged over a coarse grid of cells (which
/// also averages away the sensor's noise and the card's texture) and the gain between cell
/// centres is interpolated bilinearly. Gains are relative to the brightest cell, per channel.
/// </summary>
public sealed class FlatField
{
    private readonly LinearRgb[,] _gain;
    private readonly double _cellWidth;
    private readonly double _cellHeight;

    private FlatField(LinearRgb[,] gain, int width, int height)
    {
        _gain = gain;
        Width = width;
        Height = height;
        _cellWidth = (double)width / gain.GetLength(0);
        _cellHeight = (double)height / gain.GetLength(1);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The darkest corner's gain against the brightest cell: how much vignetting there was (1 = none).</summary>
    public double Falloff
    {
        get
        {
            var (cx, cy) = (_gain.GetLength(0), _gain.GetLength(1));
            return new[] { _gain[0, 0], _gain[cx - 1, 0], _gain[0, cy - 1], _gain[cx - 1, cy - 1] }.Min(g => (g.R + g.G + g.B) / 3);
        }
    }

    /// <param name="cellsAcross">Grid cells across the frame; down follows the aspect ratio.</param>
    public static FlatField FromWhite(LinearImage white, int cellsAcross = 16)
    {
        ArgumentNullException.ThrowIfNull(white);
        var cellsDown = Math.Max(1, (int)Math.Round(cellsAcross * (double)white.Height / white.Width));
        var gain = new LinearRgb[cellsAcross, cellsDown];
        double maxR = 0, maxG = 0, maxB = 0;
        for (var cx = 0; cx < cellsAcross; cx++)
        {
            for (var cy = 0; cy < cellsDown; cy++)
            {
                var mean = white.Mean(
                    cx * white.Width / cellsAcross, cy * white.Height / cellsDown,
                    (cx + 1) * white.Width / cellsAcross, (cy + 1) * white.Height / cellsDown);
                gain[cx, cy] = mean;
                (maxR, maxG, maxB) = (Math.Max(maxR, mean.R), Math.Max(maxG, mean.G), Math.Max(maxB, mean.B));
            }
        }

        if (maxR <= 0 || maxG <= 0 || maxB <= 0)
        {
            throw new InvalidOperationException("the white reference is black in at least one channel: no light, or no card");
        }

        for (var cx = 0; cx < cellsAcross; cx++)
        {
            for (var cy = 0; cy < cellsDown; cy++)
            {
                var g = gain[cx, cy];
                gain[cx, cy] = new LinearRgb(g.R / maxR, g.G / maxG, g.B / maxB);
            }
        }

        return new FlatField(gain, white.Width, white.Height);
    }

    public int CellsAcross => _gain.GetLength(0);

    public int CellsDown => _gain.GetLength(1);

    /// <summary>The gains as a profile keeps them: R, G, B per cell, row by row.</summary>
    public double[] ToGains()
    {
        var gains = new double[CellsAcross * CellsDown * 3];
        for (var cy = 0; cy < CellsDown; cy++)
        {
            for (var cx = 0; cx < CellsAcross; cx++)
            {
                var i = ((cy * CellsAcross) + cx) * 3;
                (gains[i], gains[i + 1], gains[i + 2]) = (_gain[cx, cy].R, _gain[cx, cy].G, _gain[cx, cy].B);
            }
        }

        return gains;
    }

    /// <summary>A flat-field from a profile's gains, for frames of <paramref name="width"/>×<paramref name="height"/> (the grid is in fractions of the frame).</summary>
    public static FlatField FromGains(int cellsAcross, int cellsDown, IReadOnlyList<double> gains, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(gains);
        if (gains.Count != cellsAcross * cellsDown * 3)
        {
            throw new ArgumentException("one R, G, B gain per cell", nameof(gains));
        }

        var grid = new LinearRgb[cellsAcross, cellsDown];
        for (var cy = 0; cy < cellsDown; cy++)
        {
            for (var cx = 0; cx < cellsAcross; cx++)
            {
                var i = ((cy * cellsAcross) + cx) * 3;
                grid[cx, cy] = new LinearRgb(gains[i], gains[i + 1], gains[i + 2]);
            }
        }

        return new FlatField(grid, width, height);
    }

    /// <summary>The relative gain at a pixel, interpolated between cell centres.</summary>
    public LinearRgb GainAt(double x, double y)
    {
        var (cellsAcross, cellsDown) = (_gain.GetLength(0), _gain.GetLength(1));
        var gx = Math.Clamp(((x + 0.5) / _cellWidth) - 0.5, 0, cellsAcross - 1);
        var gy = Math.Clamp(((y + 0.5) / _cellHeight) - 0.5, 0, cellsDown - 1);
        var (x0, y0) = ((int)Math.Floor(gx), (int)Math.Floor(gy));
        var (x1, y1) = (Math.Min(x0 + 1, cellsAcross - 1), Math.Min(y0 + 1, cellsDown - 1));
        var (fx, fy) = (gx - x0, gy - y0);
        LinearRgb Lerp(LinearRgb a, LinearRgb b, double t) => new(a.R + ((b.R - a.R) * t), a.G + ((b.G - a.G) * t), a.B + ((b.B - a.B) * t));
        return Lerp(Lerp(_gain[x0, y0], _gain[x1, y0], fx), Lerp(_gain[x0, y1], _gain[x1, y1], fx), fy);
    }

    /// <summary>Divides every pixel by its gain, in place.</summary>
    public void Apply(LinearImage image)
    {
        EnsureFits(image);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                image[x, y] = Remove(image[x, y], x, y);
            }
        }
    }

    /// <summary>One pixel's value divided by the gain where it lies.</summary>
    public LinearRgb Remove(LinearRgb value, int x, int y)
    {
        var g = GainAt(x, y);
        return new LinearRgb(value.R / g.R, value.G / g.G, value.B / g.B);
    }

    /// <summary>Refuses a frame of another size than the white reference's.</summary>
    public void EnsureFits(LinearImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != Width || image.Height != Height)
        {
            throw new ArgumentException($"the white reference was {Width}×{Height}; this frame is {image.Width}×{image.Height}", nameof(image));
        }
    }
}
