namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// YUYV 4:2:2 (the format every UVC camera offers uncompressed) to packed RGB24, BT.601
/// limited range as UVC cameras send it: two pixels share one U and one V.
/// </summary>
public static class Yuyv
{
    public static int FrameBytes(int width, int height) => width * height * 2;

    public static void ToRgb24(ReadOnlySpan<byte> yuyv, Span<byte> rgb)
    {
        if (yuyv.Length % 4 != 0 || rgb.Length != yuyv.Length / 2 * 3)
        {
            throw new ArgumentException("expected whole YUYV pixel pairs and an RGB buffer of the same pixel count", nameof(rgb));
        }

        for (int i = 0, o = 0; i < yuyv.Length; i += 4, o += 6)
        {
            int u = yuyv[i + 1] - 128, v = yuyv[i + 3] - 128;
            // Fixed point ×1024 of 1.164, 1.596, 0.391, 0.813, 2.018.
            int red = 1634 * v, green = (-400 * u) - (833 * v), blue = 2066 * u;
            Pixel(yuyv[i], red, green, blue, rgb[o..]);
            Pixel(yuyv[i + 2], red, green, blue, rgb[(o + 3)..]);
        }
    }

    /// <summary>
    /// I420 (YUV 4:2:0 planar, as rpicam-vid writes it: the Y plane, then U and V at half size
    /// each way) to packed RGB24, with the same BT.601 limited-range coefficients.
    /// </summary>
    public static void I420ToRgb24(ReadOnlySpan<byte> i420, int width, int height, Span<byte> rgb)
    {
        var (ySize, cWidth) = (width * height, width / 2);
        if (width % 2 != 0 || height % 2 != 0 || i420.Length != ySize * 3 / 2 || rgb.Length != ySize * 3)
        {
            throw new ArgumentException("expected an even-sized I420 frame and an RGB buffer of its pixel count", nameof(rgb));
        }

        var uPlane = i420.Slice(ySize, ySize / 4);
        var vPlane = i420.Slice(ySize + (ySize / 4), ySize / 4);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var c = ((y / 2) * cWidth) + (x / 2);
                int u = uPlane[c] - 128, v = vPlane[c] - 128;
                Pixel(i420[(y * width) + x], 1634 * v, (-400 * u) - (833 * v), 2066 * u, rgb[(((y * width) + x) * 3)..]);
            }
        }
    }

    private static void Pixel(byte y, int red, int green, int blue, Span<byte> target)
    {
        var luma = 1192 * (y - 16);
        target[0] = Clamp((luma + red + 512) >> 10);
        target[1] = Clamp((luma + green + 512) >> 10);
        target[2] = Clamp((luma + blue + 512) >> 10);
    }

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    /// <summary>RGB24 to YUYV (the inverse, for tests and the simulator): each pair's chroma is the mean of its two pixels.</summary>
    public static byte[] FromRgb24(ReadOnlySpan<byte> rgb)
    {
        if (rgb.Length % 6 != 0)
        {
            throw new ArgumentException("expected whole pixel pairs", nameof(rgb));
        }

        var result = new byte[rgb.Length / 3 * 2];
        for (int i = 0, o = 0; i < rgb.Length; i += 6, o += 4)
        {
            var (y0, u0, v0) = ToYuv(rgb[i], rgb[i + 1], rgb[i + 2]);
            var (y1, u1, v1) = ToYuv(rgb[i + 3], rgb[i + 4], rgb[i + 5]);
            result[o] = y0;
            result[o + 1] = Clamp((int)Math.Round((u0 + u1) / 2));
            result[o + 2] = y1;
            result[o + 3] = Clamp((int)Math.Round((v0 + v1) / 2));
        }

        return result;
    }

    private static (byte Y, double U, double V) ToYuv(byte r, byte g, byte b)
    {
        var y = 16 + (0.257 * r) + (0.504 * g) + (0.098 * b);
        var u = 128 - (0.148 * r) - (0.291 * g) + (0.439 * b);
        var v = 128 + (0.439 * r) - (0.368 * g) - (0.071 * b);
        return (Clamp((int)Math.Round(y)), u, v);
    }
}
