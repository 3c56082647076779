using Appliance.EndToEndKit;
using Appliance.TestFixtures;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>fleet-load-scaled</c>: the trust-scale deployment (<see cref="ScaledFleetLoad"/>): the same
/// fleet filing one series each, three times in one run on one PostgreSQL server: two host
/// processes (the figures <c>load_*</c>), two with one SIGKILLed a quarter of the way through
/// (<c>load_killed_*</c>), and one host process as the reference (<c>load_one_host_*</c>), with the ratios.
/// </summary>
internal static class FleetLoadScaledBenchmark
{
    public static async Task RunAsync(int appliances, int frameSide)
    {
        using var work = new TempFolder("fleet-load-scaled");
        await using var postgres = await PostgresServer.StartAsync();
        var timeout = TimeSpan.FromMinutes(15);
        var two = await ScaledFleetLoad.RunAsync(postgres, Path.Combine(work.Path, "two"), appliances, hosts: 2, killOne: false, frameSide, timeout);
        Console.WriteLine(two);
        var killed = await ScaledFleetLoad.RunAsync(postgres, Path.Combine(work.Path, "killed"), appliances, hosts: 2, killOne: true, frameSide, timeout);
        Console.WriteLine(killed);
        var one = await ScaledFleetLoad.RunAsync(postgres, Path.Combine(work.Path, "one"), appliances, hosts: 1, killOne: false, frameSide, timeout);
        Console.WriteLine(one);

        Report("load", two);
        Report("load_killed", killed);
        DemoCycleBenchmark.Bench("load_killed_host", killed.HostKilled ? 1 : 0, "hosts");
        Report("load_one_host", one);
        DemoCycleBenchmark.Bench("load_total_vs_one_host_ratio", two.Total.TotalMilliseconds / one.Total.TotalMilliseconds, "ratio");
        DemoCycleBenchmark.Bench("load_p95_vs_one_host_ratio", two.P95Ms / one.P95Ms, "ratio");
    }

    private static void Report(string prefix, ScaledLoadReport report)
    {
        DemoCycleBenchmark.Bench($"{prefix}_appliances", report.Appliances, "appliances");
        DemoCycleBenchmark.Bench($"{prefix}_hosts", report.Hosts, "hosts");
        DemoCycleBenchmark.Bench($"{prefix}_filed", report.Filed, "series");
        DemoCycleBenchmark.Bench($"{prefix}_lost", report.Lost, "series");
        DemoCycleBenchmark.Bench($"{prefix}_duplicated", report.Duplicated, "series");
        DemoCycleBenchmark.Bench($"{prefix}_unaudited", report.Unaudited, "series");
        DemoCycleBenchmark.Bench(prefix == "load" ? "pacs_series_stored" : $"{prefix}_pacs_series_stored", report.PacsSeriesStored, "series");
        DemoCycleBenchmark.Bench($"{prefix}_total_ms", report.Total.TotalMilliseconds, "ms");
        DemoCycleBenchmark.Bench($"{prefix}_p50_ms", report.P50Ms, "ms");
        DemoCycleBenchmark.Bench($"{prefix}_p95_ms", report.P95Ms, "ms");
    }
}
