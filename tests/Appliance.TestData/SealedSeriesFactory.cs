using System.Security.Cryptography;
using Appliance.Protocol;

namespace Appliance.TestData;

/// <summary>A small, well-formed series: two random 4×4 frames and the manifest, sealed to a fresh host key.</summary>
public sealed record SealedSeries(SeriesManifest Manifest, byte[][] Plain, byte[][] Sealed, byte[] HostPrivateKey, SeriesRouting Routing, byte[] SealedManifest, byte[] SigningPublicKey)
{
    /// <summary>The upload as the appliance sends it.</summary>
    public byte[] Envelope() => SeriesEnvelope.Encode(Routing, SealedManifest, Sealed);

    /// <summary>The series as the appliance's store records it, waiting to be sent.</summary>
    public Appliance.Firmware.Core.StoredSeries Stored() =>
        new(Manifest.SeriesId, Appliance.Firmware.Core.SeriesState.Queued, Manifest.CapturedAt, [.. Manifest.Frames.Select(f => f.Sha256)], Envelope().Length, Appliance.Firmware.Core.ChunkDigests.For(ForStore()));

    /// <summary>The envelope in the two parts the store takes.</summary>
    public Appliance.Firmware.Core.SealedEnvelope ForStore() =>
        new(SeriesEnvelope.EncodeHeader(Routing, SealedManifest), [.. Sealed.Select(f => (ReadOnlyMemory<byte>)f)]);
}

public static class SealedSeriesFactory
{
    /// <summary>Sealed to a fresh host key, or to <paramref name="hostPublicKey"/> (then <see cref="SealedSeries.HostPrivateKey"/> is empty).</summary>
    /// <summary>Signed with a fresh device key, or with <paramref name="signingPrivateKey"/>.</summary>
    /// <summary>The manifest says <paramref name="bodySite"/> and <paramref name="consentScope"/> (a test of a lying appliance may set others than its job's).</summary>
    public static SealedSeries Create(string deviceId = "unit-device-01", string episodeCode = "EP-ABCDEFGHJK", string jobId = "job-1", string? seriesId = null, byte[]? hostPublicKey = null, byte[]? signingPrivateKey = null, int side = 4, string bodySite = "left forearm", ConsentScope consentScope = ConsentScope.DirectCare, string calibrationId = "uncalibrated")
    {
        var (hostPrivate, hostPublic) = hostPublicKey is null ? SeriesSealing.CreateHostKeyPair() : ([], hostPublicKey);
        seriesId ??= Guid.NewGuid().ToString();
        using var sealer = new SeriesSealer(hostPublic, deviceId, seriesId);
        byte[][] plain = [RandomNumberGenerator.GetBytes(side * side * 3), RandomNumberGenerator.GetBytes(side * side * 3)];
        var descriptors = new FrameDescriptor[2];
        var sealedFrames = new byte[2][];
        for (var i = 0; i < 2; i++)
        {
            var digest = SeriesSealing.Sha256Hex(plain[i]);
            sealedFrames[i] = sealer.SealFrame(i, plain[i], digest);
            descriptors[i] = new FrameDescriptor(i, i == 0 ? LightingMode.CrossPolarised : LightingMode.NonPolarised, side, side, "rgb24", digest, sealedFrames[i].Length);
        }

        var manifest = new SeriesManifest(
            seriesId, deviceId, "0.1.0", jobId, episodeCode, bodySite, consentScope, DateTimeOffset.UtcNow,
            new CameraSettings(side, side, TimeSpan.FromMilliseconds(8), 1, 1.8, 1.5, 8), calibrationId, 0,
            new QualityReport(true, [], 120, 0, 1, 0), sealer.Header, descriptors);
        var sealedManifest = sealer.SealManifest(manifest);
        var routing = sealer.Routing(sealedManifest.Length, descriptors.Select(d => d.SealedLength));
        var (freshPrivate, signingPublic) = SeriesSigning.CreateKeyPair();
        routing = routing with { Signature = SeriesSigning.Sign(signingPrivateKey ?? freshPrivate, routing, sealedManifest, [.. sealedFrames.Select(f => (ReadOnlyMemory<byte>)f)]) };
        return new SealedSeries(manifest, plain, sealedFrames, hostPrivate, routing, sealedManifest, signingPrivateKey is null ? signingPublic : []);
    }

    /// <summary>Opens an upload with the host's key: the manifest and the frames, or an exception saying why not.</summary>
    public static (SeriesManifest Manifest, byte[][] Frames) Open(ReadOnlyMemory<byte> envelope, byte[] hostPrivateKey)
    {
        if (!SeriesEnvelope.TryDecode(envelope, out var routing, out var sealedManifest, out var sealedFrames, out var error))
        {
            throw new InvalidDataException(error);
        }

        using var unsealer = new SeriesUnsealer(hostPrivateKey);
        var manifest = unsealer.TryOpenManifest(routing, sealedManifest.Span, out error) ?? throw new InvalidDataException(error);
        var frames = unsealer.TryOpen(manifest, sealedFrames, out error) ?? throw new InvalidDataException(error);
        return (manifest, frames);
    }
}
