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

    /// <summary>Parses and checks the framing and the routing; never throws on bad input.</summary>
    public static bool TryDecode(
        ReadOnlyMemory<byte> payload,
        [NotNullWhen(true)] out SeriesRouting? routing,
        out ReadOnlyMemory<byte> sealedManifest,
        out IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames,
        out string error)
    {
        routing = null;
        sealedManifest = default;
        sealedFrames = [];
        var span = payload.Span;
        if (span.Length < PreambleBytes || !span[..4].SequenceEqual(Magic))
        {
            error = "not a series envelope (bad magic)";
            return false;
        }

        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        if (headerLength == 0 || headerLength > MaxHeaderBytes || headerLength > span.Length - PreambleBytes)
        {
            error = $"header length {headerLength} is impossible for a {span.Length}-byte envelope";
            return false;
        }

        if (!ProtocolJson.TryDeserialize(span.Slice(PreambleBytes, (int)headerLength), out routing, out error))
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

        var offset = PreambleBytes + (int)headerLength;
        var expected = routing.SealedManifestLength + routing.SealedFrameLengths.Sum(l => (long)l);
        if (payload.Length - offset != expected)
        {
            error = $"body is {payload.Length - offset} bytes, the routing announces {expected}";
            routing = null;
            return false;
        }

        sealedManifest = payload.Slice(offset, routing.SealedManifestLength);
        offset += routing.SealedManifestLength;
        var frames = new ReadOnlyMemory<byte>[routing.SealedFrameLengths.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = payload.Slice(offset, routing.SealedFrameLengths[i]);
            offset += routing.SealedFrameLengths[i];
        }

        sealedFrames = frames;
        error = string.Empty;
        return true;
    }
}
