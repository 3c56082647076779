using Appliance.TestData;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>qc-overview</c>: the overview's checks scored on bursts made from real photographs (the
/// half the dermoscopic thresholds were never chosen on; the overview's limits were set from the
/// dermoscopic ones and not tuned at all), with the tuning half beside it, and on simulated
/// overviews. Prints each defect's precision and recall on the real scoring half, their minima,
/// the share of defect-free overviews asked for again, and the simulated set's minima.
/// </summary>
internal static class QcOverviewBenchmark
{
    public static void Run(int variants, int? photosPerHalf, int simulated)
    {
        var scored = OverviewQualityScore.RunRealPhotos(RealPhoto.ScoreHalf, variants, maxPhotos: photosPerHalf);
        var tuned = OverviewQualityScore.RunRealPhotos(RealPhoto.TuneHalf, variants, maxPhotos: photosPerHalf);
        var sim = OverviewQualityScore.RunSimulated(simulated, seed: 2024);
        DefectFigures.Bench("qc_overview_real", scored.Defects);
        DemoCycleBenchmark.Bench("qc_overview_real_false_retake_rate", scored.FalseRetakeRate, "ratio");
        DemoCycleBenchmark.Bench("qc_overview_real_images", scored.Images, "photographs");
        DemoCycleBenchmark.Bench("qc_overview_real_series", scored.Results.Count, "bursts");
        DemoCycleBenchmark.Bench("qc_overview_tune_min_precision", tuned.Defects.Min(s => s.Precision), "ratio");
        DemoCycleBenchmark.Bench("qc_overview_tune_min_recall", tuned.Defects.Min(s => s.Recall), "ratio");
        DemoCycleBenchmark.Bench("qc_overview_sim_min_precision", sim.Defects.Min(s => s.Precision), "ratio");
        DemoCycleBenchmark.Bench("qc_overview_sim_min_recall", sim.Defects.Min(s => s.Recall), "ratio");
        DemoCycleBenchmark.Bench("qc_overview_sim_false_retake_rate", sim.FalseRetakeRate, "ratio");

        foreach (var s in scored.Defects.Concat(sim.Defects.Select(d => d with { Defect = $"{d.Defect} (simulated)" })))
        {
            Console.WriteLine($"  {s.Defect}: {s.TruePositives} caught, {s.FalsePositives} false alarms, {s.FalseNegatives} missed");
        }
    }
}
