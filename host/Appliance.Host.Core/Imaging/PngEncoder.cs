using System.Buffers.Binary;
using System.IO.Compression;

namespace Appliance.Host.Core.Imaging;

/// <summary>
/// Writes rgb24 frames as PNG (8-bit truecolour, no interlace), for the pages and the PNG
/// export: every browser and viewer reads it, and it is lossless, which clinical images must be.
/// The sRGB chunk says the values are sRGB-encoded, as they are.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static byte[] Encode(ReadOnlySpan<byte> rgb24, int width, int height)
    {
        if (width < 1 || height < 1 || rgb24.Length != width * height * 3)
        {
            throw new ArgumentException($"an rgb24 frame of {width}×{height} has {width * height * 3} bytes, not {rgb24.Length}", nameof(rgb24));
        }

        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bits per channel
        header[9] = 2; // truecolour
        WriteChunk(output, "IHDR", header);
        WriteChunk(output, "sRGB", [0]); // perceptual rendering intent

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                var stride = width * 3;
                for (var y = 0; y < height; y++)
                {
                    zlib.WriteByte(0); // filter: none
                    zlib.Write(rgb24.Slice(y * stride, stride));
                }
            }

            WriteChunk(output, "IDAT", compressed.ToArray());
        }

        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        Span<byte> checksum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(checksum, ~Crc(Crc(0xFFFFFFFFu, typeBytes), data));
        output.Write(checksum);
    }

    // The PNG (and zlib, Ethernet) CRC-32, reflected polynomial 0xEDB88320.
    private static readonly uint[] CrcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    })];

    private static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }
}
