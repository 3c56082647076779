using System.Security.Cryptography;
using Appliance.Protocol;

namespace Appliance.TestKit;

/// <summary>A small, well-formed series: two random 4×4 frames sealed to a fresh host key.</summary>
public sealed record SealedSeries(SeriesManifest Manifest, byte[][] Plain, byte[][] Sealed, byte[] HostPrivateKey);

public static class SealedSeriesFactory
{
    public static SealedSeries Create(string deviceId = "unit-device-01", string episodeCode = "EP-ABCDEFGHJK", string jobId = "job-1")
    {
        var (hostPrivate, hostPublic) = SeriesSealing.CreateHostKeyPair();
        var seriesId = Guid.NewGuid().ToString();
        using var sealer = new SeriesSealer(hostPublic, deviceId, seriesId);
        byte[][] plain = [RandomNumberGenerator.GetBytes(4 * 4 * 3), RandomNumberGenerator.GetBytes(4 * 4 * 3)];
        var descriptors = new FrameDescriptor[2];
        var sealedFrames = new byte[2][];
        for (var i = 0; i < 2; i++)
        {
            var digest = SeriesSealing.Sha256Hex(plain[i]);
            sealedFrames[i] = sealer.SealFrame(i, plain[i], digest);
            descriptors[i] = new FrameDescriptor(i, i == 0 ? LightingMode.CrossPolarised : LightingMode.NonPolarised, 4, 4, "rgb24", digest, sealedFrames[i].Length);
        }

        var manifest = new SeriesManifest(
            seriesId, deviceId, "0.1.0", jobId, episodeCode, "left forearm", ConsentScope.DirectCare, DateTimeOffset.UtcNow,
            new CameraSettings(4, 4, TimeSpan.FromMilliseconds(8), 1, 1.8, 1.5, 8), "uncalibrated", 0,
            new QualityReport(true, [], 120, 0, 1, 0), sealer.Header, descriptors);
        return new SealedSeries(manifest, plain, sealedFrames, hostPrivate);
    }
}
