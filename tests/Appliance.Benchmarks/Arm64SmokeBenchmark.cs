using System.Diagnostics;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>arm64-smoke</c>: the firmware published for the Pi (linux-arm64, self-contained) and run
/// under qemu-user emulation as its own process against an x64 host on loopback, through its
/// whole life (<see cref="Arm64Journey"/>): enrolled, self-tested, calibrated, pressed for each
/// capture, every series filed and deleted on the appliance, then wiped remotely. The figures say
/// whether each step happened; the start time is emulated (15–20 times a Pi's), so informative only.
/// The figures reached are printed even when a later step fails, which then exits non-zero.
/// <c>arm64_publish_mb</c> is the published folder's size: what an update downloads, trimmed.
/// </summary>
internal static class Arm64SmokeBenchmark
{
    public static async Task RunAsync(int captures)
    {
        var report = new Arm64JourneyReport();
        double? publishedMegabytes = null;
        var clock = Stopwatch.StartNew();
        var folder = Path.Combine(Path.GetTempPath(), $"appliance-bench-arm64-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var arm64 = await Arm64Firmware.PrepareAsync(RepositoryFolder.Root());
            var prepared = clock.Elapsed;
            publishedMegabytes = arm64.PublishedBytes / 1e6;
            await Arm64Journey.RunAsync(arm64, folder, captures, report);
            Console.WriteLine($"arm64 firmware {report.FirmwareVersion}: prepared (sysroot, publish) in {prepared.TotalSeconds:F0} s, journey in {(clock.Elapsed - prepared).TotalSeconds:F0} s");
        }
        finally
        {
            DemoCycleBenchmark.Bench("arm64_publish_mb", publishedMegabytes ?? -1, "MB");
            DemoCycleBenchmark.Bench("arm64_enrolled", report.Enrolled ? 1 : 0, "bool");
            DemoCycleBenchmark.Bench("arm64_selftest_passed", report.SelfTestPassed ? 1 : 0, "bool");
            DemoCycleBenchmark.Bench("arm64_firmware_start_ms", report.StartToConnected?.TotalMilliseconds ?? -1, "ms");
            DemoCycleBenchmark.Bench("arm64_calibrated", report.Calibrated ? 1 : 0, "bool");
            DemoCycleBenchmark.Bench("arm64_series_filed", report.SeriesFiled, "count");
            DemoCycleBenchmark.Bench("arm64_series_deleted_on_appliance", report.SeriesDeleted, "count");
            DemoCycleBenchmark.Bench("arm64_wipe_confirmed", report.WipeConfirmed ? 1 : 0, "bool");
            DemoCycleBenchmark.Bench("arm64_unsent_lost_at_wipe", report.UnsentSeriesLostAtWipe ?? -1, "count");
            Directory.Delete(folder, recursive: true);
        }
    }
}
