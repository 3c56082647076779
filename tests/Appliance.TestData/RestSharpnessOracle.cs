using Appliance.Firmware.Core;

namespace Appliance.TestData;

/// <summary>
/// What the focus check could reach on the real photographs if it knew how sharp each photograph
/// is at rest, which no appliance can know: a diagnostic of the set, not a check. Each
/// photograph's rest reading is the median defocus the checker reported on its sharp series (the
/// labels say which); a series is then called blurred when its defocus beyond that rest reading,
/// √(d² − d₀²), passes a limit chosen on the tuning half. Where this scores far better than the
/// checker, the checker's errors come from how sharp the scenes themselves are, not from where
/// the label sits.
/// </summary>
public sealed class RestSharpnessOracle
{
    private RestSharpnessOracle(double limit) => Limit = limit;

    /// <summary>Defocus beyond a photograph's own rest reading, in review pixels, above which a series is called blurred.</summary>
    public double Limit { get; }

    /// <summary>Each photograph's median reported defocus over its sharp series at a normal exposure; photographs without one are absent.</summary>
    public static IReadOnlyDictionary<string, double> RestReadings(RealPhotoScore score)
    {
        ArgumentNullException.ThrowIfNull(score);
        return score.Results
            .Where(r => Judgeable(r) && r.Trial.Degradation.DefocusSigma == 0 && r.Report.DefocusPixels is not null)
            .GroupBy(r => r.Trial.Photo.Id)
            .ToDictionary(g => g.Key, g => Median([.. g.Select(r => r.Report.DefocusPixels!.Value)]), StringComparer.Ordinal);
    }

    /// <summary>The limit that makes the fewest errors on <paramref name="tuning"/>.</summary>
    public static RestSharpnessOracle Fit(RealPhotoScore tuning)
    {
        var readings = Readings(tuning).OrderBy(r => r.Beyond).ToList();
        // Called blurred above the limit: start with every series called, then move the limit up
        // past one reading at a time.
        var errors = readings.Count(r => !r.Blurred);
        var (best, limit) = (errors, 0.0);
        for (var i = 0; i < readings.Count; i++)
        {
            errors += readings[i].Blurred ? 1 : -1;
            var last = i + 1 == readings.Count || readings[i + 1].Beyond > readings[i].Beyond;
            if (last && errors < best)
            {
                (best, limit) = (errors, readings[i].Beyond);
            }
        }

        return new RestSharpnessOracle(limit);
    }

    /// <summary>Blurred's precision and recall on <paramref name="score"/>, each photograph against its own rest reading.</summary>
    public DefectScore Score(RealPhotoScore score)
    {
        var readings = Readings(score);
        var called = readings.Where(r => r.Beyond > Limit).ToList();
        var truePositives = called.Count(r => r.Blurred);
        return new DefectScore(SeriesQualityChecker.Blurred, truePositives, called.Count - truePositives, readings.Count(r => r.Blurred && r.Beyond <= Limit));
    }

    /// <summary>The series this judges differently from their labels, so a figure can be read: which photograph, the defocus applied, and the reading beyond its rest.</summary>
    public IEnumerable<(string Photo, double Sigma, double Beyond)> Misjudged(RealPhotoScore score) =>
        Readings(score).Where(r => (r.Beyond > Limit) != r.Blurred).Select(r => (r.Photo, r.Sigma, r.Beyond));

    /// <summary>Series at a normal exposure of photographs with a rest reading: their defocus beyond it, and their label.</summary>
    private static List<(double Beyond, bool Blurred, string Photo, double Sigma)> Readings(RealPhotoScore score)
    {
        var rest = RestReadings(score);
        return
        [
            .. score.Results
                .Where(r => Judgeable(r) && rest.ContainsKey(r.Trial.Photo.Id))
                .Select(r => (
                    // A series with no edge above its noise is what the checker calls it: blurred.
                    r.Report.DefocusPixels is { } d ? EdgeBlurEstimator.DefocusBeyond(d, rest[r.Trial.Photo.Id]) : double.PositiveInfinity,
                    r.Trial.Defects.Contains(SeriesQualityChecker.Blurred),
                    r.Trial.Photo.Id,
                    r.Trial.Degradation.DefocusSigma)),
        ];
    }

    /// <summary>Focus is judged only at a normal exposure, for the checker and the labels alike.</summary>
    private static bool Judgeable(RealPhotoResult r) =>
        !r.Trial.Defects.Contains(SeriesQualityChecker.TooDark) && !r.Trial.Defects.Contains(SeriesQualityChecker.Overexposed);

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
