using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.UnitTests;

/// <summary>
/// The <c>qc-real</c> benchmark's diagnostic: each photograph judged against its own sharpness at
/// rest. Checked on reports made up for two photographs, one crisp and one soft at rest, where the
/// right answer is known.
/// </summary>
public sealed class RestSharpnessOracleTests
{
    private static readonly RealPhoto Crisp = new("crisp", RealPhoto.TuneHalf, "p", "crisp.jpg", "CC0-1.0", "c", "");
    private static readonly RealPhoto Soft = new("soft", RealPhoto.TuneHalf, "p", "soft.jpg", "CC0-1.0", "c", "");

    [Fact]
    public void EachPhotograph_IsJudgedAgainstItsOwnRestReading_WhereOneLimitBeyondTheOpticsCannotSeparateThem()
    {
        // Reported defocus beyond the optics: the soft photograph reads 0.9 at rest, more than a
        // crisp one defocused by σ 1.5 reads beyond it.
        var score = Score(
            new(Crisp, 0, 0.05), new(Crisp, 0, 0.1), new(Crisp, 0, 0.15), new(Crisp, 1.0, 0.4), new(Crisp, 1.5, 0.8), new(Crisp, 2.5, 1.9),
            new(Soft, 0, 0.85), new(Soft, 0, 0.9), new(Soft, 0, 0.95), new(Soft, 1.0, 1.1), new(Soft, 1.5, 1.6), new(Soft, 2.5, 2.5),
            // Too dark to judge focus: neither a rest reading nor a series to score.
            new(Soft, 0, 5.0, Dark: true));

        var rest = RestSharpnessOracle.RestReadings(score);
        Assert.Equal(0.1, rest["crisp"], 6);
        Assert.Equal(0.9, rest["soft"], 6);

        var oracle = RestSharpnessOracle.Fit(score);
        var ceiling = oracle.Score(score);
        Assert.Equal((4, 0, 0), (ceiling.TruePositives, ceiling.FalsePositives, ceiling.FalseNegatives));
        // Beyond their own rest readings: the sharp σ 1.0 series at 0.39 (crisp) and 0.63 (soft), the
        // blurred σ 1.5 ones at 0.79 and 1.32.
        Assert.InRange(oracle.Limit, 0.63, 0.79);

        // No single limit on the reported defocus gets all of these right: the soft photograph's
        // sharp series read above the crisp one's blurred σ 1.5.
        var fixedLimitErrors = Enumerable.Range(0, 300).Select(i => i / 100.0)
            .Min(limit => score.Results.Count(r => !r.Trial.Defects.Contains(SeriesQualityChecker.TooDark) &&
                (r.Report.DefocusPixels > limit) != r.Trial.Defects.Contains(SeriesQualityChecker.Blurred)));
        Assert.True(fixedLimitErrors > 0);
    }

    [Fact]
    public void ASetWithoutSharpSeries_HasNoRestReading_AndNothingToScore()
    {
        var score = Score(new(Crisp, 2.0, 1.5), new(Soft, 0, 0.9, Dark: true));

        Assert.Empty(RestSharpnessOracle.RestReadings(score));
        var ceiling = RestSharpnessOracle.Fit(score).Score(score);
        Assert.Equal((0, 0, 0), (ceiling.TruePositives, ceiling.FalsePositives, ceiling.FalseNegatives));
    }

    private static RealPhotoScore Score(params Series[] series)
    {
        var results = series.Select((s, i) =>
        {
            var defects = new HashSet<string>();
            if (s.Dark)
            {
                defects.Add(SeriesQualityChecker.TooDark);
            }
            else if (s.Sigma >= RealPhotoTrialSet.BlurredFromSigma)
            {
                defects.Add(SeriesQualityChecker.Blurred);
            }

            var trial = new RealPhotoTrial(s.Photo, i, new RealPhotoDegradation(s.Sigma, 0, 0, s.Dark ? -6 : 0, 120, 0, i), defects);
            return new RealPhotoResult(trial, new QualityReport(false, [], 120, 0, 1, 0, s.Defocus));
        }).ToList();
        return new RealPhotoScore([], results, 2, []);
    }

    /// <summary>A series made up: its photograph, its defocus σ (its label), and the defocus the checker reported.</summary>
    private sealed record Series(RealPhoto Photo, double Sigma, double Defocus, bool Dark = false);
}
