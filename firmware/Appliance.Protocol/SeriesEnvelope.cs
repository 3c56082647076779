using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Appliance.Protocol;

/// <summary>
/// Binary framing of a series upload: <c>"ASE2"</c>, a big-endian u32 routing length, the
/// <see cref="SeriesRouting"/> as UTF-8 JSON (the only clear part), the sealed manifest, then
/// the sealed frames back to back. Binary so that frames are not inflated by base64.
/// </summary>
public static class SeriesEnvelope
{
    public const int MaxHeaderBytes = 64 * 1024;
    private static ReadOnlySpan<byte> Magic => "ASE2"u8;
    private const int PreambleBytes = 8;

    public static byte[] Encode(SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, IReadOnlyList<byte[]> sealedFrames)
    {
        ArgumentNullException.ThrowIfNull(sealedFrames);
        var header = EncodeHeader(routing, sealedManifest);
        if (sealedFrames.Count != routing.SealedFrameLengths.Length)
        {
            throw new ArgumentException("one sealed frame per announced length", nameof(sealedFrames));
        }

        for (var i = 0; i < sealedFrames.Count; i++)
        {
            if (sealedFrames[i].Length != routing.SealedFrameLengths[i])
            {
                throw new ArgumentException($"sealed frame {i} does not have its announced length", nameof(sealedFrames));
            }
        }

        var result = new byte[header.Length + sealedFrames.Sum(f => (long)f.Length)];
        header.CopyTo(result, 0);
        var offset = header.Length;
        foreach (var frame in sealedFrames)
        {
            frame.CopyTo(result.AsSpan(offset));
            offset += frame.Length;
        }

        return result;
    }

    /// <summary>
    /// The envelope's header: preamble, routing and sealed manifest. The sealed frames follow
    /// it in order; writers that stream the frames use this and append them themselves.
    /// </summary>
    public static byte[] EncodeHeader(SeriesRouting routing, ReadOnlySpan<byte> sealedManifest)
    {
        ArgumentNullException.ThrowIfNull(routing);
        if (sealedManifest.Length != routing.SealedManifestLength)
        {
            throw new ArgumentException("the sealed manifest does not have its announced length", nameof(sealedManifest));
        }

        var json = ProtocolJson.Serialize(routing);
        if (json.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"routing is {json.Length} bytes, over the {MaxHeaderBytes}-byte limit", nameof(routing));
        }

        var result = new byte[PreambleBytes + json.Length + sealedManifest.Length];
        Magic.CopyTo(result);
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(4), (uint)json.Length);
        json.CopyTo(result.AsSpan(PreambleBytes));
        sealedManifest.CopyTo(result.AsSpan(PreambleBytes + json.Length));
        return result;
    }

    /// <summary>How many bytes from its start hold an envelope's preamble and routing, at most: read this much to decode its header.</summary>
    public const int MaxPrefixBytes = PreambleBytes + MaxHeaderBytes;

    /// <summary>The fixed first bytes of every envelope: its magic and its header's length.</summary>
    public const int PreambleLength = PreambleBytes;

    /// <summary>
    /// How many first bytes <see cref="TryDecodeLayout"/> needs, from the <see cref="PreambleLength"/>
    /// first: the preamble and the routing header, no more (an upload still arriving need not wait
    /// for its first frame to be read). At most <see cref="MaxPrefixBytes"/>, whatever the preamble says.
    /// </summary>
    public static int PrefixLength(ReadOnlySpan<byte> preamble, long length)
    {
        var headerLength = preamble.Length >= PreambleBytes ? BinaryPrimitives.ReadUInt32BigEndian(preamble[4..]) : 0;
        return (int)Math.Min(length, PreambleBytes + Math.Min(headerLength, MaxHeaderBytes));
    }

    /// <summary>
    /// Parses and checks the framing and the routing from the first bytes of an envelope
    /// (<paramref name="prefix"/>: at least <see cref="MaxPrefixBytes"/>, or all of it) and its
    /// whole length, so that an envelope on disk is read a frame at a time; never throws on bad input.
    /// </summary>
    public static bool TryDecodeLayout(ReadOnlySpan<byte> prefix, long length, [NotNullWhen(true)] out SeriesRouting? routing, out EnvelopeLayout layout, out string error)
    {
        routing = null;
        layout = default;
        if (prefix.Length < PreambleBytes || !prefix[..4].SequenceEqual(Magic))
        {
            error = "not a series envelope (bad magic)";
            return false;
        }

        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(prefix[4..]);
        if (headerLength == 0 || headerLength > MaxHeaderBytes || headerLength > length - PreambleBytes || headerLength > prefix.Length - PreambleBytes)
        {
            error = $"header length {headerLength} is impossible for a {length}-byte envelope";
            return false;
        }

        if (!ProtocolJson.TryDeserialize(prefix.Slice(PreambleBytes, (int)headerLength), out routing, out error))
        {
            return false;
        }

        var invalid = routing.Validate();
        if (invalid is not null)
        {
            error = $"invalid routing: {invalid}";
            routing = null;
            return false;
        }

        long offset = PreambleBytes + (int)headerLength;
        var expected = routing.SealedManifestLength + routing.SealedFrameLengths.Sum(l => (long)l);
        if (length - offset != expected)
        {
            error = $"body is {length - offset} bytes, the routing announces {expected}";
            routing = null;
            return false;
        }

        var manifestOffset = offset;
        offset += routing.SealedManifestLength;
        var frameOffsets = new long[routing.SealedFrameLengths.Length];
        for (var i = 0; i < frameOffsets.Length; i++)
        {
            frameOffsets[i] = offset;
            offset += routing.SealedFrameLengths[i];
        }

        layout = new EnvelopeLayout(manifestOffset, routing.SealedManifestLength, frameOffsets, routing.SealedFrameLengths);
        error = string.Empty;
        return true;
    }

    /// <summary>Parses and checks the framing and the routing; never throws on bad input.</summary>
    public static bool TryDecode(
        ReadOnlyMemory<byte> payload,
        [NotNullWhen(true)] out SeriesRouting? routing,
        out ReadOnlyMemory<byte> sealedManifest,
        out IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames,
        out string error)
    {
        sealedManifest = default;
        sealedFrames = [];
        if (!TryDecodeLayout(payload.Span, payload.Length, out routing, out var layout, out error))
        {
            return false;
        }

        sealedManifest = payload.Slice((int)layout.ManifestOffset, layout.ManifestLength);
        var frames = new ReadOnlyMemory<byte>[layout.FrameCount];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = payload.Slice((int)layout.FrameOffsets[i], layout.FrameLengths[i]);
        }

        sealedFrames = frames;
        return true;
    }
}

/// <summary>Where each part of an envelope lies, from its start: the sealed manifest, then each sealed frame.</summary>
public readonly record struct EnvelopeLayout(long ManifestOffset, int ManifestLength, long[] FrameOffsets, int[] FrameLengths)
{
    public int FrameCount => FrameOffsets.Length;

    /// <summary>Where frame <paramref name="index"/>'s authentication tag (its last bytes, which the signature covers) starts.</summary>
    public long TagOffset(int index) => FrameOffsets[index] + FrameLengths[index] - SeriesSealing.TagSize;
}
