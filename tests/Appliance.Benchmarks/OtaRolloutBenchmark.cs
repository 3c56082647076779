using Appliance.EndToEndKit;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>ota-rollout</c>: a staged firmware rollout to a fleet of real firmware processes (simulated
/// devices), each capturing throughout (<see cref="OtaRollout"/>): bad packages refused, a bad
/// release rolled back by a canary wave, the good release to everyone; its time against the same
/// bytes sent to the same appliances as plain QoS 1 messages.
/// </summary>
internal static class OtaRolloutBenchmark
{
    public static async Task RunAsync(int appliances, int canary, TimeSpan patientGap)
    {
        var report = await OtaRollout.RunAsync(appliances, canary, UpdateRig.FirmwareBuildOfThisRun(), patientGap);
        Console.WriteLine(report);
        DemoCycleBenchmark.Bench("ota_appliances", report.Appliances, "appliances");
        DemoCycleBenchmark.Bench("ota_appliances_updated", report.Updated, "appliances");
        DemoCycleBenchmark.Bench("ota_bad_packages_tried", report.BadPackagesTried, "packages");
        DemoCycleBenchmark.Bench("ota_bad_packages_refused", report.BadPackagesRefused, "packages");
        DemoCycleBenchmark.Bench("ota_rolled_back", report.RolledBack, "appliances");
        DemoCycleBenchmark.Bench("ota_series_accepted", report.SeriesAccepted, "series");
        DemoCycleBenchmark.Bench("ota_series_lost", report.SeriesLost, "series");
        DemoCycleBenchmark.Bench("ota_series_duplicated", report.SeriesDuplicated, "series");
        DemoCycleBenchmark.Bench("ota_rollout_ms", report.Rollout.TotalMilliseconds, "ms");
        DemoCycleBenchmark.Bench("ota_plain_qos1_ms", report.Reference.TotalMilliseconds, "ms");
        DemoCycleBenchmark.Bench("ota_rollout_vs_plain_qos1", report.Rollout / report.Reference, "x");
    }
}
