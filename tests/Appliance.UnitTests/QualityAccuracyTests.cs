using Appliance.Firmware.Core;
using Appliance.TestData;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Appliance.UnitTests;

public sealed class QualityAccuracyTests(ITestOutputHelper output)
{
    [Fact]
    public void LabelledSetOf400Frames_EveryDefectButBlurHasPrecisionAndRecallOfAtLeast095_AndBlurAtLeast08()
    {
        var trials = QualityTrialSet.Generate(series: 200);
        var scores = QualityTrialSet.Score(trials, new SeriesQualityChecker(Options.Create(new QualityOptions())), 240, 180);

        foreach (var s in scores)
        {
            output.WriteLine($"{s.Defect,-12} precision {s.Precision:F3} recall {s.Recall:F3} (tp {s.TruePositives}, fp {s.FalsePositives}, fn {s.FalseNegatives})");
        }

        Assert.All(scores, s => Assert.True(s.TruePositives >= 10, $"{s.Defect}: too few positives ({s.TruePositives}) to score"));
        // The focus check measures edge width against the optics, no longer a baseline fitted to
        // this generator's skin, and it misses the 0.95 aim here as on the real photographs
        // (docs/benchmarks.md, qc-accuracy and qc-real); this bound guards what it does reach.
        Assert.All(scores.Where(s => s.Defect != SeriesQualityChecker.Blurred), s => Assert.True(s.Precision >= 0.95 && s.Recall >= 0.95, $"{s.Defect}: precision {s.Precision:F3}, recall {s.Recall:F3}"));
        var blurred = scores.Single(s => s.Defect == SeriesQualityChecker.Blurred);
        Assert.True(blurred.Precision >= 0.8 && blurred.Recall >= 0.8, $"blurred: precision {blurred.Precision:F3}, recall {blurred.Recall:F3}");
    }
}
