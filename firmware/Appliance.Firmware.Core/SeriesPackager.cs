using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// The packaging stage of a capture: an accepted series' frames hashed and sealed to the host's
/// key (one frame per core, into pooled buffers), its manifest sealed with them, and the routing
/// signed by this appliance, ready for the store and the uplink.
/// </summary>
public sealed class SeriesPackager(ApplianceIdentity identity, FrameBufferPool pool, ICalibrationState calibration, TimeProvider time, IOptions<CaptureOptions> options)
{
    /// <summary>
    /// Seals the frames, and the overview after them if there is one, into buffers from the
    /// pool, left in <paramref name="sealedBuffers"/> for the caller to return.
    /// </summary>
    public (StoredSeries Series, SealedEnvelope Envelope) Package(CaptureJob job, int retakes, IReadOnlyList<CapturedFrame> pair, QualityReport quality, byte[][] sealedBuffers, HeldOverview? overview = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(sealedBuffers);
        // The overview goes last, so the dermoscopic pair keeps frame indices 0 and 1 in every series.
        IReadOnlyList<CapturedFrame> frames = overview is null ? pair : [.. pair, overview.Frame];
        var seriesId = Guid.NewGuid().ToString();
        using var sealer = new SeriesSealer(identity.HostSealingPublicKey, identity.DeviceId, seriesId);
        var capturedAt = time.GetUtcNow();
        var descriptors = new FrameDescriptor[frames.Count];
        var sealedFrames = sealedBuffers;
        // One frame per core: hashing and sealing 12 MP frames is most of the time after the checks.
        Parallel.For(0, frames.Count, FrameMeasurement.PerCore, i =>
        {
            var f = frames[i];
            var digest = SeriesSealing.Sha256Hex(f.Pixels);
            sealedFrames[i] = pool.RentBytes(f.Pixels.Length + SeriesSealing.Overhead);
            sealer.SealFrame(i, f.Pixels, digest, sealedFrames[i]);
            var role = f.Lighting == LightingMode.Ambient ? FrameRole.Overview : (FrameRole?)null;
            descriptors[i] = new FrameDescriptor(i, f.Lighting, f.Width, f.Height, f.PixelFormat, digest, sealedFrames[i].Length, role);
        });

        var manifest = new SeriesManifest(
            seriesId,
            identity.DeviceId,
            identity.FirmwareVersion,
            job.JobId,
            job.EpisodeCode,
            job.BodySite,
            job.ConsentScope,
            capturedAt,
            options.Value.ToCameraSettings(),
            calibration.Current?.ProfileId ?? "uncalibrated",
            retakes,
            quality,
            sealer.Header,
            descriptors,
            overview?.Settings,
            overview?.Quality,
            overview?.Aim);
        // The manifest is sealed like the frames: only ids, the ephemeral key and lengths stay in clear.
        var sealedManifest = sealer.SealManifest(manifest);
        var routing = sealer.Routing(sealedManifest.Length, descriptors.Select(d => d.SealedLength));
        IReadOnlyList<ReadOnlyMemory<byte>> frameParts = [.. sealedFrames.Select(f => (ReadOnlyMemory<byte>)f)];
        // Signed by this appliance: the host takes a series only from the device that captured it.
        routing = routing with { Signature = SeriesSigning.Sign(identity.SigningPrivateKey, routing, sealedManifest, frameParts) };
        var envelope = new SealedEnvelope(SeriesEnvelope.EncodeHeader(routing, sealedManifest), frameParts);
        // Hashed once, here, while the sealed frames are in memory: the upload, and every resumed
        // upload after a restart, offers them without a pass over the stored series.
        return (new StoredSeries(seriesId, SeriesState.Queued, capturedAt, [.. descriptors.Select(d => d.Sha256)], envelope.Length, ChunkDigests.For(envelope)), envelope);
    }
}
