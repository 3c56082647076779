using System.Diagnostics;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using NSec.Cryptography;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>seal</c>: sealing one 12 MP frame (the simulator's) with <see cref="SeriesSealer"/>,
/// against NSec's raw XChaCha20-Poly1305 on the same bytes in the same run. Also the digest
/// the appliance takes of each frame before sealing it, on its own.
/// </summary>
internal static class SealBenchmark
{
    public static void Run(int runs)
    {
        var frame = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, 4056, 3040, false).Pixels;
        var (_, hostPublic) = SeriesSealing.CreateHostKeyPair();
        var digest = SeriesSealing.Sha256Hex(frame);
        var sealedFrame = new byte[frame.Length + SeriesSealing.Overhead];
        using var sealer = new SeriesSealer(hostPublic, "bench-appliance-01", Guid.NewGuid().ToString());

        var algorithm = AeadAlgorithm.XChaCha20Poly1305;
        using var key = Key.Create(algorithm);
        var nonce = new byte[algorithm.NonceSize];
        var ciphertext = new byte[frame.Length + algorithm.TagSize];

        var seal = new List<double>();
        var raw = new List<double>();
        var hash = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            // Interleaved, so that both see the same state of the machine.
            var clock = Stopwatch.StartNew();
            sealer.SealFrame(0, frame, digest, sealedFrame);
            var sealMs = clock.Elapsed.TotalMilliseconds;

            nonce[0] = (byte)i;
            clock.Restart();
            algorithm.Encrypt(key, nonce, [], frame, ciphertext);
            var rawMs = clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            _ = SeriesSealing.Sha256Hex(frame);
            var hashMs = clock.Elapsed.TotalMilliseconds;
            if (i > 0)
            {
                seal.Add(sealMs);
                raw.Add(rawMs);
                hash.Add(hashMs);
            }
        }

        var megabytes = frame.Length / (1024.0 * 1024.0);
        var (sealMedian, rawMedian) = (DemoCycleBenchmark.Median(seal), DemoCycleBenchmark.Median(raw));
        DemoCycleBenchmark.Bench("seal_frame_ms", sealMedian, "ms");
        DemoCycleBenchmark.Bench("seal_mb_per_s", megabytes / (sealMedian / 1000), "MB/s");
        DemoCycleBenchmark.Bench("reference_raw_aead_ms", rawMedian, "ms");
        DemoCycleBenchmark.Bench("reference_raw_aead_mb_per_s", megabytes / (rawMedian / 1000), "MB/s");
        // Throughput ratio: 1 means sealing costs nothing over the bare AEAD.
        DemoCycleBenchmark.Bench("seal_vs_raw_ratio", rawMedian / sealMedian, "x");
        DemoCycleBenchmark.Bench("digest_frame_ms", DemoCycleBenchmark.Median(hash), "ms");
        DemoCycleBenchmark.Bench("seal_frame_mb", megabytes, "MB");
    }
}
