using Appliance.Firmware.Core;
using Appliance.TestKit;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Appliance.UnitTests;

public sealed class QualityAccuracyTests(ITestOutputHelper output)
{
    [Fact]
    public void LabelledSetOf400Frames_EveryDefectHasPrecisionAndRecallOfAtLeast095()
    {
        var trials = QualityTrialSet.Generate(series: 200);
        var scores = QualityTrialSet.Score(trials, new SeriesQualityChecker(Options.Create(new QualityOptions())), 240, 180);

        foreach (var s in scores)
        {
            output.WriteLine($"{s.Defect,-12} precision {s.Precision:F3} recall {s.Recall:F3} (tp {s.TruePositives}, fp {s.FalsePositives}, fn {s.FalseNegatives})");
        }

        Assert.All(scores, s => Assert.True(s.TruePositives >= 10, $"{s.Defect}: too few positives ({s.TruePositives}) to score"));
        Assert.All(scores, s => Assert.True(s.Precision >= 0.95 && s.Recall >= 0.95, $"{s.Defect}: precision {s.Precision:F3}, recall {s.Recall:F3}"));
    }
}
