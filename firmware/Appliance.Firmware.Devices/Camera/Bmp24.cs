using System.Buffers.Binary;
using System.Runtime.Intrinsics;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// 24-bit uncompressed BMP, the simplest lossless format <c>rpicam-still</c> writes
/// (<c>--encoding bmp</c>): a 54-byte header, BGR rows padded to 4 bytes, bottom-up unless the
/// height is negative. Decoding checks every field it relies on, so garbage or a truncated file
/// is an error with a reason, never a wrong image.
/// </summary>
public static class Bmp24
{
    private const int HeaderBytes = 54;

    /// <summary>
    /// Decodes a BMP from a seekable stream straight into the RGB buffer, a row at a time:
    /// a 12 MP frame is never held twice (file bytes and pixels) just to be decoded.
    /// </summary>
    public static bool TryDecode(Stream file, out int width, out int height, out byte[] rgb, out string error) =>
        TryDecode(file, length => new byte[length], out width, out height, out rgb, out error);

    /// <summary>As above, decoding into a buffer from <paramref name="allocate"/> (given the RGB length).</summary>
    public static bool TryDecode(Stream file, Func<int, byte[]> allocate, out int width, out int height, out byte[] rgb, out string error)
    {
        ArgumentNullException.ThrowIfNull(allocate);
        ArgumentNullException.ThrowIfNull(file);
        width = height = 0;
        rgb = [];
        Span<byte> header = stackalloc byte[HeaderBytes];
        var length = file.Length - file.Position;
        if (length < HeaderBytes)
        {
            error = "not a BMP file";
            return false;
        }

        file.ReadExactly(header);
        if (header[0] != (byte)'B' || header[1] != (byte)'M')
        {
            error = "not a BMP file";
            return false;
        }

        var dataOffset = BinaryPrimitives.ReadInt32LittleEndian(header[10..]);
        var infoSize = BinaryPrimitives.ReadInt32LittleEndian(header[14..]);
        var w = BinaryPrimitives.ReadInt32LittleEndian(header[18..]);
        var h = BinaryPrimitives.ReadInt32LittleEndian(header[22..]);
        var bits = BinaryPrimitives.ReadInt16LittleEndian(header[28..]);
        var compression = BinaryPrimitives.ReadInt32LittleEndian(header[30..]);
        if (infoSize < 40 || bits != 24 || compression != 0)
        {
            error = $"not an uncompressed 24-bit BMP (bits {bits}, compression {compression})";
            return false;
        }

        var topDown = h < 0;
        h = Math.Abs(h);
        if (w <= 0 || h <= 0 || w > 16384 || h > 16384)
        {
            error = $"impossible BMP size {w}x{h}";
            return false;
        }

        var stride = ((w * 3) + 3) & ~3;
        if (dataOffset < HeaderBytes || (long)dataOffset + ((long)stride * h) > length)
        {
            error = $"BMP is truncated: {length} bytes for {w}x{h}";
            return false;
        }

        file.Seek(dataOffset - HeaderBytes, SeekOrigin.Current);
        var pixels = allocate(w * h * 3);
        var padding = stride - (w * 3);
        Span<byte> skip = stackalloc byte[3];
        for (var row = 0; row < h; row++)
        {
            var y = topDown ? row : h - 1 - row;
            var target = pixels.AsSpan(y * w * 3, w * 3);
            file.ReadExactly(target);
            file.ReadExactly(skip[..padding]);
            SwapRedAndBlue(target);
        }

        rgb = pixels;
        width = w;
        height = h;
        error = string.Empty;
        return true;
    }

    /// <summary>BMP rows are BGR; in place to RGB, four pixels per vector shuffle (SSSE3 or NEON).</summary>
    private static void SwapRedAndBlue(Span<byte> row)
    {
        var x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // Bytes 12–15 belong to the next pixels and are written back unchanged.
            var mask = Vector128.Create((byte)2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 12, 13, 14, 15);
            for (; x + 16 <= row.Length; x += 12)
            {
                var block = row.Slice(x, 16);
                Vector128.Shuffle(Vector128.Create<byte>(block), mask).CopyTo(block);
            }
        }

        for (; x + 2 < row.Length; x += 3)
        {
            (row[x], row[x + 2]) = (row[x + 2], row[x]);
        }
    }

    /// <summary>Writes packed RGB24 as a bottom-up 24-bit BMP.</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> rgb)
    {
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException("expected packed rgb24", nameof(rgb));
        }

        var stride = ((width * 3) + 3) & ~3;
        var file = new byte[HeaderBytes + (stride * height)];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), HeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), stride * height);
        for (var y = 0; y < height; y++)
        {
            var target = file.AsSpan(HeaderBytes + ((height - 1 - y) * stride), width * 3);
            var source = rgb.Slice(y * width * 3, width * 3);
            for (var x = 0; x < width * 3; x += 3)
            {
                target[x] = source[x + 2];
                target[x + 1] = source[x + 1];
                target[x + 2] = source[x];
            }
        }

        return file;
    }
}
