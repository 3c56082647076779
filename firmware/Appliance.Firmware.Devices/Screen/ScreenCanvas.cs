using System.Drawing;
using Iot.Device.Graphics;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// The screen's picture, 320×240 landscape, in the panel's own pixel format (RGB565, high byte
/// first) so a region goes to the panel as it is. Text is drawn with the binding's 5×8 font,
/// scaled; the preview is scaled into its region from the camera's RGB24.
/// </summary>
public sealed class ScreenCanvas
{
    public const int Width = 320;
    public const int Height = 240;

    private static readonly BdfFont Font = new Font5x8();
    private readonly byte[] _pixels = new byte[Width * Height * 2];

    public ReadOnlySpan<byte> Pixels => _pixels;

    public static ushort Rgb565(byte r, byte g, byte b) => (ushort)(((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3));

    /// <summary>The width in pixels of <paramref name="text"/> at <paramref name="scale"/>: 6 font columns a character (5 and a gap).</summary>
    public static int TextWidth(string text, int scale) => text.Length * 6 * scale;

    public void Fill(Rectangle region, ushort colour)
    {
        var (high, low) = ((byte)(colour >> 8), (byte)colour);
        for (var y = region.Top; y < region.Bottom; y++)
        {
            var row = _pixels.AsSpan(((y * Width) + region.Left) * 2, region.Width * 2);
            for (var i = 0; i < row.Length; i += 2)
            {
                (row[i], row[i + 1]) = (high, low);
            }
        }
    }

    /// <summary>Draws <paramref name="text"/> (ASCII; anything else as a space) from its top-left corner, clipped to <paramref name="clip"/>.</summary>
    public void Text(Rectangle clip, int x, int y, string text, int scale, ushort colour)
    {
        Span<int> rows = stackalloc int[Font.Height];
        foreach (var c in text)
        {
            if (!Font.GetCharData(c is >= ' ' and <= '~' ? c : ' ', ref rows))
            {
                continue;
            }

            for (var row = 0; row < Font.Height; row++)
            {
                for (var column = 0; column < Font.Width; column++)
                {
                    // Each row holds the glyph right-aligned: its leftmost column is bit Width − 1.
                    if ((rows[row] & (1 << (Font.Width - 1 - column))) != 0)
                    {
                        Fill(Rectangle.Intersect(clip, new Rectangle(x + (column * scale), y + (row * scale), scale, scale)), colour);
                    }
                }
            }

            x += 6 * scale;
        }
    }

    /// <summary>Scales an RGB24 picture into <paramref name="region"/> (each target pixel the mean of the source pixels it covers).</summary>
    public void Picture(Rectangle region, ReadOnlySpan<byte> rgb24, int width, int height)
    {
        for (var ty = 0; ty < region.Height; ty++)
        {
            var (sy0, sy1) = (ty * height / region.Height, Math.Max((ty * height / region.Height) + 1, (ty + 1) * height / region.Height));
            var target = _pixels.AsSpan((((region.Top + ty) * Width) + region.Left) * 2, region.Width * 2);
            for (var tx = 0; tx < region.Width; tx++)
            {
                var (sx0, sx1) = (tx * width / region.Width, Math.Max((tx * width / region.Width) + 1, (tx + 1) * width / region.Width));
                int r = 0, g = 0, b = 0;
                for (var sy = sy0; sy < sy1; sy++)
                {
                    for (var sx = sx0; sx < sx1; sx++)
                    {
                        var i = ((sy * width) + sx) * 3;
                        (r, g, b) = (r + rgb24[i], g + rgb24[i + 1], b + rgb24[i + 2]);
                    }
                }

                var n = (sy1 - sy0) * (sx1 - sx0);
                var colour = Rgb565((byte)(r / n), (byte)(g / n), (byte)(b / n));
                (target[tx * 2], target[(tx * 2) + 1]) = ((byte)(colour >> 8), (byte)colour);
            }
        }
    }

    /// <summary>A circle's outline, <paramref name="thickness"/> pixels wide, clipped to <paramref name="clip"/>.</summary>
    public void Ring(Rectangle clip, double centreX, double centreY, double radius, double thickness, ushort colour)
    {
        var reach = (int)Math.Ceiling(radius + thickness);
        var box = Rectangle.Intersect(clip, new Rectangle((int)centreX - reach, (int)centreY - reach, (2 * reach) + 1, (2 * reach) + 1));
        for (var y = box.Top; y < box.Bottom; y++)
        {
            for (var x = box.Left; x < box.Right; x++)
            {
                var distance = Math.Sqrt(Math.Pow(x + 0.5 - centreX, 2) + Math.Pow(y + 0.5 - centreY, 2));
                if (Math.Abs(distance - radius) <= thickness / 2)
                {
                    (_pixels[((y * Width) + x) * 2], _pixels[(((y * Width) + x) * 2) + 1]) = ((byte)(colour >> 8), (byte)colour);
                }
            }
        }
    }

    /// <summary>The region's pixels, row by row, as the panel takes them.</summary>
    public void CopyRegion(Rectangle region, Span<byte> target)
    {
        for (var y = 0; y < region.Height; y++)
        {
            _pixels.AsSpan((((region.Top + y) * Width) + region.Left) * 2, region.Width * 2).CopyTo(target[(y * region.Width * 2)..]);
        }
    }
}
