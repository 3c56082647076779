using System.Diagnostics;
using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>wipe</c>: crypto-erase of an appliance holding 1 and 500 unsent series (640×480, the
/// default resolution), from the call to the report. On the way, the store's write of one
/// series including its fsync, at 640×480 and at 12 MP.
/// </summary>
internal static class WipeBenchmark
{
    private const int SmallFrameBytes = 640 * 480 * 3;
    private const int LargeFrameBytes = 4056 * 3040 * 3;

    /// <param name="many">The full store's size: 500 for the figures, fewer for the quick run.</param>
    public static async Task RunAsync(int many)
    {
        await WipeWithAsync(1, []); // warm-up: JIT and the first LiteDB file
        var small = new List<double>();
        var wipe1 = await WipeWithAsync(1, small);
        var wipeMany = await WipeWithAsync(many, small);
        var large = new List<double>();
        await WipeWithAsync(many >= 500 ? 5 : 1, large, LargeFrameBytes);

        DemoCycleBenchmark.Bench("wipe_ms_1", wipe1, "ms");
        DemoCycleBenchmark.Bench($"wipe_ms_{many}", wipeMany, "ms");
        DemoCycleBenchmark.Bench("store_write_ms", DemoCycleBenchmark.Median(small), "ms");
        DemoCycleBenchmark.Bench("store_write_12mp_ms", DemoCycleBenchmark.Median(large), "ms");
        var reference = PlainWrites(SmallFrameBytes, many >= 500 ? 50 : 5);
        DemoCycleBenchmark.Bench("reference_file_write_fsync_ms", DemoCycleBenchmark.Median(reference), "ms");
        DemoCycleBenchmark.Bench("store_write_vs_file_ratio", DemoCycleBenchmark.Median(small) / DemoCycleBenchmark.Median(reference), "x");
    }

    /// <summary>
    /// The reference: the same bytes as a 640×480 series made durable the way the store makes a
    /// series' frames durable (written to a new file, flushed, renamed into place, its folder
    /// flushed), and nothing else: no record, no sealing. The files are kept, as the store keeps
    /// its series here.
    /// </summary>
    private static List<double> PlainWrites(int frameBytes, int count)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"appliance-write-ref-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var bytes = new byte[2 * (frameBytes + SeriesSealing.Overhead)];
            new Random(9).NextBytes(bytes);
            var times = new List<double>();
            for (var i = 0; i <= count; i++)
            {
                var path = Path.Combine(folder, $"{i}.bin");
                var partial = path + ".partial";
                var clock = Stopwatch.StartNew();
                using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
                {
                    file.Write(bytes);
                    file.Flush(flushToDisk: true);
                }

                File.Move(partial, path);
                DurableFolder.Flush(folder);

                if (i > 0)
                {
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            return times;
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static async Task<double> WipeWithAsync(int series, List<double> writes, int frameBytes = SmallFrameBytes)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"appliance-wipe-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var bundle = Path.Combine(folder, "bundle.json");
            await File.WriteAllTextAsync(bundle, new string('k', 6000)); // stands in for the keys
            var store = new LiteDbSeriesStore(Path.Combine(folder, "series.db"), "bench-secret", new StoreOptions { MinFreeBytes = 0 });
            var frame = new byte[frameBytes + SeriesSealing.Overhead];
            new Random(9).NextBytes(frame);
            for (var i = 0; i < series; i++)
            {
                var stored = new StoredSeries(Guid.NewGuid().ToString(), SeriesState.Queued, DateTimeOffset.UtcNow, ["a", "b"], 0);
                var clock = Stopwatch.StartNew();
                await store.AddAsync(stored, new SealedEnvelope(new byte[2048], [frame, frame]), CancellationToken.None);
                writes.Add(clock.Elapsed.TotalMilliseconds);
            }

            var eraser = new CryptoEraser(
                new WipePaths(folder, bundle, []),
                store,
                new ApplianceIdentity("bench-appliance-01", "bench", new byte[32], new byte[32]),
                TimeProvider.System,
                NullLogger<CryptoEraser>.Instance);
            var timer = Stopwatch.StartNew();
            var report = await eraser.WipeAsync(CancellationToken.None);
            var elapsed = timer.Elapsed.TotalMilliseconds;
            if (report.UnsentSeriesLost != series)
            {
                throw new InvalidOperationException($"the wipe counted {report.UnsentSeriesLost} unsent series, not {series}");
            }

            await eraser.TrashDeletion;
            return elapsed;
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
