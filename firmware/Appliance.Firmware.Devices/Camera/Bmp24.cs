using System.Buffers.Binary;

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

    public static bool TryDecode(ReadOnlySpan<byte> file, out int width, out int height, out byte[] rgb, out string error)
    {
        width = height = 0;
        rgb = [];
        if (file.Length < HeaderBytes || file[0] != (byte)'B' || file[1] != (byte)'M')
        {
            error = "not a BMP file";
            return false;
        }

        var dataOffset = BinaryPrimitives.ReadInt32LittleEndian(file[10..]);
        var infoSize = BinaryPrimitives.ReadInt32LittleEndian(file[14..]);
        var w = BinaryPrimitives.ReadInt32LittleEndian(file[18..]);
        var h = BinaryPrimitives.ReadInt32LittleEndian(file[22..]);
        var bits = BinaryPrimitives.ReadInt16LittleEndian(file[28..]);
        var compression = BinaryPrimitives.ReadInt32LittleEndian(file[30..]);
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
        if (dataOffset < HeaderBytes || (long)dataOffset + ((long)stride * h) > file.Length)
        {
            error = $"BMP is truncated: {file.Length} bytes for {w}x{h}";
            return false;
        }

        rgb = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            var source = file.Slice(dataOffset + ((topDown ? y : h - 1 - y) * stride), w * 3);
            var target = rgb.AsSpan(y * w * 3, w * 3);
            for (var x = 0; x < w * 3; x += 3)
            {
                target[x] = source[x + 2];
                target[x + 1] = source[x + 1];
                target[x + 2] = source[x];
            }
        }

        width = w;
        height = h;
        error = string.Empty;
        return true;
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
