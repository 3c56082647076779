namespace Appliance.Calibration;

/// <summary>
/// A frame in linear light, three planes of doubles. Calibration works here: vignetting and
/// exposure are multiplications in linear light, not in the sRGB-encoded bytes the camera gives.
/// </summary>
public sealed class LinearImage
{
    private readonly double[] _values;

    public LinearImage(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        _values = new double[width * height * 3];
    }

    public int Width { get; }

    public int Height { get; }

    public LinearRgb this[int x, int y]
    {
        get
        {
            var i = ((y * Width) + x) * 3;
            return new LinearRgb(_values[i], _values[i + 1], _values[i + 2]);
        }

        set
        {
            var i = ((y * Width) + x) * 3;
            (_values[i], _values[i + 1], _values[i + 2]) = (value.R, value.G, value.B);
        }
    }

    /// <summary>A copy to change while this one stays as it is.</summary>
    public LinearImage Copy()
    {
        var copy = new LinearImage(Width, Height);
        _values.CopyTo(copy._values, 0);
        return copy;
    }

    /// <summary>Decodes an rgb24 frame (sRGB-encoded, as cameras deliver it).</summary>
    public static LinearImage FromRgb24(ReadOnlySpan<byte> pixels, int width, int height)
    {
        if (pixels.Length != width * height * 3)
        {
            throw new ArgumentException($"an rgb24 frame of {width}×{height} has {width * height * 3} bytes, not {pixels.Length}", nameof(pixels));
        }

        var image = new LinearImage(width, height);
        for (var i = 0; i < pixels.Length; i++)
        {
            image._values[i] = Decode[pixels[i]];
        }

        return image;
    }

    /// <summary>Encodes to rgb24 (sRGB), clamping what falls outside 0–255.</summary>
    public byte[] ToRgb24()
    {
        var pixels = new byte[_values.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp(Math.Round(ColourSpaces.FromLinear(Math.Max(_values[i], 0))), 0, 255);
        }

        return pixels;
    }

    /// <summary>The mean over a rectangle (pixels, exclusive of the far edges).</summary>
    public LinearRgb Mean(int x0, int y0, int x1, int y1)
    {
        x0 = Math.Clamp(x0, 0, Width);
        x1 = Math.Clamp(x1, 0, Width);
        y0 = Math.Clamp(y0, 0, Height);
        y1 = Math.Clamp(y1, 0, Height);
        if (x1 <= x0 || y1 <= y0)
        {
            throw new ArgumentException("an empty rectangle has no mean");
        }

        double r = 0, g = 0, b = 0;
        for (var y = y0; y < y1; y++)
        {
            for (var x = x0; x < x1; x++)
            {
                var i = ((y * Width) + x) * 3;
                r += _values[i];
                g += _values[i + 1];
                b += _values[i + 2];
            }
        }

        var n = (double)(x1 - x0) * (y1 - y0);
        return new LinearRgb(r / n, g / n, b / n);
    }

    /// <summary>Luminance (Y of CIE XYZ) at a pixel.</summary>
    public double Luminance(int x, int y)
    {
        var i = ((y * Width) + x) * 3;
        return (0.2126729 * _values[i]) + (0.7151522 * _values[i + 1]) + (0.0721750 * _values[i + 2]);
    }

    private static readonly double[] Decode = [.. Enumerable.Range(0, 256).Select(v => ColourSpaces.ToLinear((double)v))];
}
