using System.Security.Cryptography;
using Appliance.Protocol;

namespace Appliance.TestData;

/// <summary>The messages of a transfer built by hand, so tests can send them out of order, twice, cut or damaged.</summary>
public sealed class TransferScript(string deviceId, Guid seriesId, byte[] envelope, int chunkSize = TransferScript.DefaultChunkSize)
{
    public const int DefaultChunkSize = 16 * 1024;

    public Guid SeriesId => seriesId;

    public TransferOffer Offer { get; } = new(
        seriesId.ToString(),
        deviceId,
        envelope.Length,
        chunkSize,
        [.. Enumerable.Range(0, TransferOffer.ChunkCountFor(envelope.Length, chunkSize))
            .Select(i => Convert.ToHexStringLower(SHA256.HashData(envelope.AsSpan(i * chunkSize, (int)Math.Min(chunkSize, envelope.Length - ((long)i * chunkSize))))))]);

    /// <summary>A script for a real sealed series: the series id comes from its envelope.</summary>
    public static TransferScript For(string deviceId, byte[] envelope, int chunkSize = DefaultChunkSize) =>
        new(deviceId, SeriesEnvelope.TryDecode(envelope, out var routing, out _, out _, out _) ? Guid.Parse(routing.SeriesId) : Guid.NewGuid(), envelope, chunkSize);

    public int ChunkCount => Offer.ChunkCount;

    public byte[] OfferMessage() => ProtocolJson.Serialize(Offer);

    public byte[] Chunk(int index) =>
        TransferFrame.Encode(TransferFrameKind.Chunk, seriesId, index, envelope.AsSpan(index * chunkSize, Offer.ChunkLength(index)));

    public byte[] End() => TransferFrame.Encode(TransferFrameKind.End, seriesId, ChunkCount, []);
}
