using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Appliance.Protocol;

/// <summary>
/// Binary framing of a series upload: <c>"ASE1"</c>, a big-endian u32 header length, the
/// manifest as UTF-8 JSON, then the sealed frames back to back in the order of
/// <see cref="SeriesManifest.Frames"/>. Binary so that frames are not inflated by base64.
/// </summary>
public static class SeriesEnvelope
{
    public const int MaxHeaderBytes = 64 * 1024;
    private static ReadOnlySpan<byte> Magic => "ASE1"u8;
    private const int PreambleBytes = 8;

    public static byte[] Encode(SeriesManifest manifest, IReadOnlyList<byte[]> sealedFrames)
    {
        ArgumentNullException.ThrowIfNull(sealedFrames);
        var header = EncodeHeader(manifest);
        if (sealedFrames.Count != manifest.Frames.Length)
        {
            throw new ArgumentException("one sealed frame per descriptor", nameof(sealedFrames));
        }

        for (var i = 0; i < sealedFrames.Count; i++)
        {
            if (sealedFrames[i].Length != manifest.Frames[i].SealedLength)
            {
                throw new ArgumentException($"sealed frame {i} does not match its descriptor", nameof(sealedFrames));
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
    /// The envelope's header: preamble and manifest. The sealed frames follow it in manifest
    /// order; writers that stream the frames use this and append them themselves.
    /// </summary>
    public static byte[] EncodeHeader(SeriesManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var json = ProtocolJson.Serialize(manifest);
        if (json.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"manifest is {json.Length} bytes, over the {MaxHeaderBytes}-byte limit", nameof(manifest));
        }

        var result = new byte[PreambleBytes + json.Length];
        Magic.CopyTo(result);
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(4), (uint)json.Length);
        json.CopyTo(result.AsSpan(PreambleBytes));
        return result;
    }

    /// <summary>Parses and checks the framing and the manifest; never throws on bad input.</summary>
    public static bool TryDecode(
        ReadOnlyMemory<byte> payload,
        [NotNullWhen(true)] out SeriesManifest? manifest,
        out IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames,
        out string error)
    {
        manifest = null;
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

        if (!ProtocolJson.TryDeserialize(span.Slice(PreambleBytes, (int)headerLength), out manifest, out error))
        {
            return false;
        }

        var invalid = manifest.Validate();
        if (invalid is not null)
        {
            error = $"invalid manifest: {invalid}";
            manifest = null;
            return false;
        }

        var offset = PreambleBytes + (int)headerLength;
        var expected = manifest.Frames.Sum(f => (long)f.SealedLength);
        if (payload.Length - offset != expected)
        {
            error = $"body is {payload.Length - offset} bytes, the manifest announces {expected}";
            manifest = null;
            return false;
        }

        var frames = new ReadOnlyMemory<byte>[manifest.Frames.Length];
        foreach (var f in manifest.Frames)
        {
            frames[f.Index] = payload.Slice(offset, f.SealedLength);
            offset += f.SealedLength;
        }

        sealedFrames = frames;
        error = string.Empty;
        return true;
    }
}
