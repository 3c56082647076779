using Appliance.Firmware.Core;
using Appliance.TestData;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>qc-real</c>: the quality checks scored on two-frame series made from real photographs
/// (<see cref="RealPhotoTrialSet"/>), on the half of the photographs the thresholds were never
/// chosen on. Prints each defect's precision and recall on that half, their minima, the share of
/// defect-free series sent to retake, how many photographs were scored, and the same minima on
/// the tuning half for comparison; then how sharp the scored photographs are at rest, and what
/// the focus check would reach if it knew that (<see cref="RestSharpnessOracle"/>).
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

        // How sharp the scored photographs are at rest, against the limit the checker applies
        // beyond the optics: a photograph soft at rest has every sharp series called blurred.
        var limit = new QualityOptions().MaxDefocusPixels;
        var rest = RestSharpnessOracle.RestReadings(scored);
        DemoCycleBenchmark.Bench("qc_real_rest_defocus_max_px", rest.Values.DefaultIfEmpty(0).Max(), "px");
        DemoCycleBenchmark.Bench("qc_real_soft_at_rest_images", rest.Values.Count(d => d > limit), "photographs");

        // The ceiling a no-reference check cannot reach: each photograph judged against its own
        // rest reading (known only from the labels), the limit chosen on the tuning half.
        var oracle = RestSharpnessOracle.Fit(tuned);
        var ceiling = oracle.Score(scored);
        DemoCycleBenchmark.Bench("qc_real_oracle_limit_px", oracle.Limit, "px");
        DemoCycleBenchmark.Bench("qc_real_oracle_precision_blurred", ceiling.Precision, "ratio");
        DemoCycleBenchmark.Bench("qc_real_oracle_recall_blurred", ceiling.Recall, "ratio");
        var tuneCeiling = oracle.Score(tuned);
        DemoCycleBenchmark.Bench("qc_real_oracle_tune_precision_blurred", tuneCeiling.Precision, "ratio");
        DemoCycleBenchmark.Bench("qc_real_oracle_tune_recall_blurred", tuneCeiling.Recall, "ratio");
        Console.WriteLine("  the oracle's misjudged series (photograph, defocus σ, reading beyond its rest): " +
            string.Join("; ", oracle.Misjudged(scored).Select(m => FormattableString.Invariant($"{m.Photo} σ {m.Sigma:0.00} {m.Beyond:0.00}"))));

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
