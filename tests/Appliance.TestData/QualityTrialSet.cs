using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;

namespace Appliance.TestData;

/// <summary>One generated series with the defects it truly has.</summary>
public sealed record QualityTrial(SimulatedScene Scene, IReadOnlySet<string> Defects);

/// <summary>Precision and recall of one defect over a trial set.</summary>
public sealed record DefectScore(string Defect, int TruePositives, int FalsePositives, int FalseNegatives)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    public double Recall => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary>One defect's score over judged results: what each truly has (<paramref name="truth"/>) against what the checks said.</summary>
    public static DefectScore Tally<T>(string defect, IReadOnlyCollection<T> results, Func<T, IReadOnlySet<string>> truth, Func<T, IReadOnlyCollection<string>> said)
    {
        ArgumentNullException.ThrowIfNull(results);
        var called = results.Where(r => said(r).Contains(defect)).ToList();
        var truePositives = called.Count(r => truth(r).Contains(defect));
        return new DefectScore(defect, truePositives, called.Count - truePositives, results.Count(r => truth(r).Contains(defect) && !said(r).Contains(defect)));
    }
}

/// <summary>
/// A labelled set of simulated series: sharp, blurred, dark, overexposed, glare in the
/// polarised frame, moved, alone and in combinations, with varied skin, lesions and hair.
/// The labels come from how each scene was made, so the checks are scored against truth.
/// </summary>
public static class QualityTrialSet
{
    public static readonly IReadOnlyList<string> Defects =
        [SeriesQualityChecker.TooDark, SeriesQualityChecker.Overexposed, SeriesQualityChecker.Glare, SeriesQualityChecker.Blurred, SeriesQualityChecker.Moved];

    public static IReadOnlyList<QualityTrial> Generate(int series, int seed = 2026)
    {
        var rng = new Random(seed);
        var trials = new List<QualityTrial>(series);
        for (var i = 0; i < series; i++)
        {
            var defects = new HashSet<string>();
            var exposure = rng.NextDouble();
            // Normal exposure keeps every channel below clipping; the defects are well past their thresholds.
            // Exposure is linear light: the sRGB levels move by about its 2.4th root.
            var brightness = 0.7 + (0.3 * rng.NextDouble());
            if (exposure < 0.15)
            {
                brightness = 0.006 + (0.014 * rng.NextDouble());
                defects.Add(SeriesQualityChecker.TooDark);
            }
            else if (exposure < 0.27)
            {
                brightness = 4 + (2.5 * rng.NextDouble());
                defects.Add(SeriesQualityChecker.Overexposed);
            }

            var glare = rng.NextDouble() < 0.25 && !defects.Contains(SeriesQualityChecker.Overexposed);
            if (glare)
            {
                defects.Add(SeriesQualityChecker.Glare);
            }

            // In an overexposed or dark series focus and motion cannot be judged: the exposure is the whole truth.
            var judgeable = !defects.Contains(SeriesQualityChecker.Overexposed) && !defects.Contains(SeriesQualityChecker.TooDark);
            // A box blur of radius r has σ = √(r(r + 1)/3): radius 1 (σ 0.8) is a mild softness below
            // the blurred label's σ 1.2 (the real-photograph set's definition), radius 2–3 (σ 1.4–2) is blurred.
            var blur = judgeable && rng.NextDouble() < 0.25 ? rng.Next(1, 4) : 0;
            if (blur >= 2)
            {
                defects.Add(SeriesQualityChecker.Blurred);
            }

            int dx = 0, dy = 0;
            if (judgeable && rng.NextDouble() < 0.25)
            {
                var distance = 8 + (rng.NextDouble() * 13);
                var angle = rng.NextDouble() * Math.PI * 2;
                dx = (int)Math.Round(Math.Cos(angle) * distance);
                dy = (int)Math.Round(Math.Sin(angle) * distance);
                defects.Add(SeriesQualityChecker.Moved);
            }
            else if (rng.NextDouble() < 0.3)
            {
                // A tremor within tolerance is not "moved".
                dx = rng.Next(-2, 3);
                dy = rng.Next(-2, 3);
            }

            var scene = new SimulatedScene
            {
                Seed = seed + i,
                SkinTone = new Rgb((byte)rng.Next(190, 228), (byte)rng.Next(135, 185), (byte)rng.Next(105, 150)),
                LesionCentreX = 0.35 + (0.3 * rng.NextDouble()),
                LesionCentreY = 0.35 + (0.3 * rng.NextDouble()),
                LesionRadius = 0.1 + (0.12 * rng.NextDouble()),
                LesionIrregularity = 0.05 + (0.25 * rng.NextDouble()),
                HairCount = rng.Next(0, 6),
                GlareSpots = rng.Next(10, 20),
                GlareInCrossPolarised = glare,
                Brightness = brightness,
                BlurRadius = blur,
                MotionDx = dx,
                MotionDy = dy,
            };
            trials.Add(new QualityTrial(scene, defects));
        }

        return trials;
    }

    /// <summary>Runs the checker on every trial (two frames each) and scores each defect.</summary>
    public static IReadOnlyList<DefectScore> Score(IReadOnlyList<QualityTrial> trials, SeriesQualityChecker checker, int width, int height)
    {
        var tp = Defects.ToDictionary(d => d, _ => 0);
        var fp = Defects.ToDictionary(d => d, _ => 0);
        var fn = Defects.ToDictionary(d => d, _ => 0);
        foreach (var trial in trials)
        {
            var frames = CaptureSequencer.Order
                .Select(l => SimulatedCamera.Render(trial.Scene, l, width, height, l == LightingMode.NonPolarised))
                .ToList();
            var found = checker.Check(frames).Reasons.ToHashSet();
            foreach (var defect in Defects)
            {
                var truth = trial.Defects.Contains(defect);
                var said = found.Contains(defect);
                if (truth && said)
                {
                    tp[defect]++;
                }
                else if (said)
                {
                    fp[defect]++;
                }
                else if (truth)
                {
                    fn[defect]++;
                }
            }
        }

        return [.. Defects.Select(d => new DefectScore(d, tp[d], fp[d], fn[d]))];
    }
}
