using Appliance.EndToEndKit;
using Appliance.TestFixtures;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>fleet-load</c>: 200 appliances (the real firmware composition each, over its own mutual-TLS
/// connection) finish a two-frame series at the same moment; one host files them all
/// (<see cref="FleetLoad"/>; the test runs the same with 30).
/// </summary>
internal static class FleetLoadBenchmark
{
    public static async Task RunAsync(int appliances)
    {
        using var work = new TempFolder("fleet-load-bench");
        // 256x256 RGB frames: 197 KB each, about 0.4 MB a series and 79 MB for the fleet.
        var report = await FleetLoad.RunAsync(appliances, work.Path, frameSide: 256, TimeSpan.FromMinutes(10));
        DemoCycleBenchmark.Bench("load_appliances", report.Appliances, "appliances");
        DemoCycleBenchmark.Bench("load_filed", report.Filed, "series");
        DemoCycleBenchmark.Bench("load_lost", report.Lost, "series");
        DemoCycleBenchmark.Bench("load_duplicated", report.Duplicated, "series");
        DemoCycleBenchmark.Bench("load_total_ms", report.Total.TotalMilliseconds, "ms");
        DemoCycleBenchmark.Bench("load_p50_ms", report.P50Ms, "ms");
        DemoCycleBenchmark.Bench("load_p95_ms", report.P95Ms, "ms");
    }
}
