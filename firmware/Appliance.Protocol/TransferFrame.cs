using System.Buffers.Binary;

namespace Appliance.Protocol;

/// <summary>What a transfer frame carries.</summary>
public enum TransferFrameKind : byte
{
    /// <summary>One chunk of the sealed series, at its index.</summary>
    Chunk = 1,

    /// <summary>"All chunks sent": the host files the series or answers with what is missing.</summary>
    End = 2,
}

/// <summary>
/// The binary frame on <c>…/transfer/{receiver}</c>: <c>"ATF1"</c> | kind (1 byte) | series id
/// (16-byte GUID) | chunk index (u32, big-endian) | chunk bytes (none for an end). Binary, not
/// JSON, so a 256 KiB chunk costs 25 bytes of framing and no encoding pass.
/// </summary>
public static class TransferFrame
{
    public const int HeaderLength = 4 + 1 + 16 + 4;

    private static ReadOnlySpan<byte> Magic => "ATF1"u8;

    /// <summary>Writes the frame header into <paramref name="destination"/>; the chunk bytes follow it.</summary>
    public static void WriteHeader(Span<byte> destination, TransferFrameKind kind, Guid seriesId, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Magic.CopyTo(destination);
        destination[4] = (byte)kind;
        seriesId.TryWriteBytes(destination[5..21], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(destination[21..25], (uint)index);
    }

    public static byte[] Encode(TransferFrameKind kind, Guid seriesId, int index, ReadOnlySpan<byte> chunk)
    {
        var frame = new byte[HeaderLength + chunk.Length];
        WriteHeader(frame, kind, seriesId, index);
        chunk.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Reads a frame; false with a reason for anything that is not one.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> frame, out TransferFrameKind kind, out Guid seriesId, out int index, out ReadOnlyMemory<byte> chunk, out string error)
    {
        kind = default;
        seriesId = Guid.Empty;
        index = 0;
        chunk = ReadOnlyMemory<byte>.Empty;
        var span = frame.Span;
        if (span.Length < HeaderLength || !span[..4].SequenceEqual(Magic))
        {
            error = "not a transfer frame (bad magic or too short)";
            return false;
        }

        kind = (TransferFrameKind)span[4];
        if (kind is not (TransferFrameKind.Chunk or TransferFrameKind.End))
        {
            error = $"unknown transfer frame kind {span[4]}";
            return false;
        }

        seriesId = new Guid(span[5..21], bigEndian: true);
        var rawIndex = BinaryPrimitives.ReadUInt32BigEndian(span[21..25]);
        if (rawIndex > int.MaxValue)
        {
            error = "chunk index out of range";
            return false;
        }

        index = (int)rawIndex;
        chunk = frame[HeaderLength..];
        if (kind == TransferFrameKind.End && !chunk.IsEmpty)
        {
            error = "an end frame carries no bytes";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
