using Appliance.TestData;

namespace Appliance.Benchmarks;

/// <summary>The figures every quality-check benchmark prints: each defect's precision and recall, and their minima.</summary>
internal static class DefectFigures
{
    public static void Bench(string prefix, IReadOnlyList<DefectScore> scores)
    {
        foreach (var s in scores)
        {
            var name = s.Defect.Replace(' ', '_');
            DemoCycleBenchmark.Bench($"{prefix}_precision_{name}", s.Precision, "ratio");
            DemoCycleBenchmark.Bench($"{prefix}_recall_{name}", s.Recall, "ratio");
        }

        DemoCycleBenchmark.Bench($"{prefix}_min_precision", scores.Min(s => s.Precision), "ratio");
        DemoCycleBenchmark.Bench($"{prefix}_min_recall", scores.Min(s => s.Recall), "ratio");
    }
}
