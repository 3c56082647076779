using Iot.Device.Graphics;

namespace Appliance.TestData;

/// <summary>
/// Text on the appliance's screen, checked against the binding's own 5×8 font (its rows hold a
/// glyph right-aligned, bit 4 the leftmost column): each font pixel of a character drawn at
/// (x, y) and scaled is ink or background at the middle of its block in a 320-wide RGB24 picture.
/// </summary>
public static class ScreenGlyphs
{
    public static (int R, int G, int B) At(byte[] picture, int x, int y)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var i = ((y * 320) + x) * 3;
        return (picture[i], picture[i + 1], picture[i + 2]);
    }

    /// <summary>Null when the character is there in <paramref name="ink"/> (white unless given); otherwise what is wrong.</summary>
    public static string? Mismatch(byte[] picture, char c, int x, int y, int scale, (int, int, int)? ink = null)
    {
        var font = new Font5x8();
        Span<int> rows = stackalloc int[font.Height];
        if (!font.GetCharData(c, ref rows))
        {
            return $"the font has no '{c}'";
        }

        var lit = 0;
        for (var row = 0; row < font.Height; row++)
        {
            for (var column = 0; column < font.Width; column++)
            {
                var on = (rows[row] & (1 << (font.Width - 1 - column))) != 0;
                lit += on ? 1 : 0;
                var pixel = At(picture, x + (column * scale) + (scale / 2), y + (row * scale) + (scale / 2));
                if (on != (pixel == (ink ?? (255, 255, 255))))
                {
                    return $"'{c}' at ({x}, {y}) row {row} column {column}: expected {(on ? "ink" : "background")}, found {pixel}";
                }
            }
        }

        return lit > 5 ? null : $"'{c}' has only {lit} font pixels: not a glyph to check by";
    }
}
