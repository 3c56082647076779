using Appliance.Firmware.Core;
using Appliance.TestData;
using Microsoft.Extensions.Options;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>qc-accuracy</c>: the quality checks scored against a generated labelled set (the test
/// uses 200 series at 240×180; this runs 600 series, 1,200 frames, at 640×480, the
/// appliance's default resolution). Prints each defect's precision and recall and the minima.
/// </summary>
internal static class QcAccuracyBenchmark
{
    public static void Run(int series)
    {
        var trials = QualityTrialSet.Generate(series, seed: 77);
        var scores = QualityTrialSet.Score(trials, new SeriesQualityChecker(Options.Create(new QualityOptions())), 640, 480);
        DefectFigures.Bench("qc", scores);
        DemoCycleBenchmark.Bench("qc_frames", series * 2, "frames");
    }
}
