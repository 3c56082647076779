using Appliance.TestData;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>qc-real</c>: the quality checks scored on two-frame series made from real photographs
/// (<see cref="RealPhotoTrialSet"/>), on the half of the photographs the thresholds were never
/// chosen on. Prints each defect's precision and recall on that half, their minima, the share of
/// defect-free series sent to retake, how many photographs were scored, and the same minima on
/// the tuning half for comparison.
/// </summary>
internal static class QcRealBenchmark
{
    public static void Run(int variants, int? photosPerHalf)
    {
        var tuned = RealPhotoQualityScore.Run(RealPhoto.TuneHalf, variants, maxPhotos: photosPerHalf);
        var scored = RealPhotoQualityScore.Run(RealPhoto.ScoreHalf, variants, maxPhotos: photosPerHalf);
        DefectFigures.Bench("qc_real", scored.Defects);
        DemoCycleBenchmark.Bench("qc_real_false_retake_rate", scored.FalseRetakeRate, "ratio");
        DemoCycleBenchmark.Bench("qc_real_images", scored.Images, "photographs");
        DemoCycleBenchmark.Bench("qc_real_series", scored.Results.Count, "series");
        DemoCycleBenchmark.Bench("qc_real_tune_min_precision", tuned.Defects.Min(s => s.Precision), "ratio");
        DemoCycleBenchmark.Bench("qc_real_tune_min_recall", tuned.Defects.Min(s => s.Recall), "ratio");
        DemoCycleBenchmark.Bench("qc_real_tune_false_retake_rate", tuned.FalseRetakeRate, "ratio");

        // Which photographs the misses and false alarms come from, so a figure can be read.
        foreach (var (photo, count) in scored.Results
            .Where(r => !r.Report.Reasons.ToHashSet().SetEquals(r.Trial.Defects))
            .GroupBy(r => r.Trial.Photo.Id).Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2))
        {
            Console.WriteLine($"  {photo}: {count} series judged differently from their labels");
        }

        if (scored.Unusable.Count > 0)
        {
            Console.WriteLine($"  left out as too contrasty to stand for skin: {string.Join(", ", scored.Unusable)}");
        }
    }
}
