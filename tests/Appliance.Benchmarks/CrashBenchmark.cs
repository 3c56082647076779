using Appliance.EndToEndKit;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>crash</c>: 200 SIGKILLs of the firmware at random moments while it captures, stores and
/// uploads (every third while it opens and recovers its store), each followed by a restart, then a last run that drains to the host
/// (<see cref="CrashTrials"/>; the test runs the same with 12).
/// </summary>
internal static class CrashBenchmark
{
    public static async Task RunAsync(int trials)
    {
        var root = Path.Combine(Path.GetTempPath(), $"appliance-crash-bench-{Guid.NewGuid():N}");
        try
        {
            var report = await CrashTrials.RunAsync(trials, seed: 424242, root, maxKillDelay: TimeSpan.FromMilliseconds(1200));
            DemoCycleBenchmark.Bench("crash_trials", report.Trials, "kills");
            DemoCycleBenchmark.Bench("crash_accepted", report.Accepted, "series");
            DemoCycleBenchmark.Bench("crash_filed", report.Filed, "series");
            DemoCycleBenchmark.Bench("crash_lost", report.Lost, "series");
            DemoCycleBenchmark.Bench("crash_duplicated", report.Duplicated, "series");
            DemoCycleBenchmark.Bench("crash_unopenable", report.Unopenable, "restarts");
            DemoCycleBenchmark.Bench("crash_failed_starts", report.FailedStarts.Count, "restarts");
            DemoCycleBenchmark.Bench("crash_kills_mid_write", report.KilledWhileStoring, "kills");
            DemoCycleBenchmark.Bench("crash_kills_while_opening", report.KilledWhileOpening, "kills");
            DemoCycleBenchmark.Bench("crash_found_only_in_store", report.FoundOnlyInStore, "series");
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, true);
            }
        }
    }
}
