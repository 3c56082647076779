using System.Collections.Concurrent;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.TestData;

/// <summary>What the overview's checks said of one burst, and the defects it truly has.</summary>
public sealed record OverviewResult(string Source, IReadOnlySet<string> Defects, QualityReport Report);

/// <summary>The overview's checks scored: each defect's precision and recall, and the share of defect-free overviews asked for again.</summary>
public sealed record OverviewScore(IReadOnlyList<DefectScore> Defects, IReadOnlyList<OverviewResult> Results, int Images)
{
    public double FalseRetakeRate => Results.Count(r => r.Defects.Count == 0) is var clean and > 0
        ? (double)Results.Count(r => r.Defects.Count == 0 && !r.Report.Accepted) / clean
        : 0;
}

/// <summary>
/// The firmware's <see cref="OverviewQualityChecker"/> scored on overview bursts whose defects
/// are known, made two ways: from the real photographs of <see cref="RealPhotoTrialSet"/> (each
/// photograph a scene at a distance, the same graded defects and labels as the dermoscopic set
/// but no glare: the room's light is not polarised), and from the <see cref="SimulatedOverviewCamera"/>.
/// The checker sees the two frames and the overview optics' edge blur (measured once per camera:
/// on the target through the same lens for the photographs, on a sharp steady overview for the
/// simulator), never a label.
/// </summary>
public static class OverviewQualityScore
{
    public static readonly IReadOnlyList<string> Defects =
        [SeriesQualityChecker.TooDark, SeriesQualityChecker.Overexposed, SeriesQualityChecker.Blurred, SeriesQualityChecker.Moved];

    /// <summary>The overview settings the real-photograph bursts are judged with: the defaults, with the optics' own edge blur.</summary>
    public static OverviewOptions RealPhotoOptions(OverviewOptions? options = null)
    {
        using var target = FrameMeasurement.Of(RealPhotoTrialSet.RenderTarget(LightingMode.NonPolarised));
        var o = options ?? new OverviewOptions();
        o.OpticsEdgeBlur = target.EdgeBlur;
        return o;
    }

    public static OverviewScore RunRealPhotos(string half, int variants, OverviewOptions? options = null, int? maxPhotos = null)
    {
        var checker = new OverviewQualityChecker(Options.Create(new QualityOptions()), Options.Create(RealPhotoOptions(options)));
        var photos = RealPhotoSet.Manifest().Where(p => p.Half == half).Take(maxPhotos ?? int.MaxValue).ToList();
        var results = new ConcurrentBag<OverviewResult>();
        Parallel.ForEach(photos, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, photo =>
        {
            using var scene = RealPhotoTrialSet.Prepare(photo);
            if (!scene.Usable)
            {
                return;
            }

            foreach (var (_, trial) in RealPhotoTrialSet.Trials([scene], variants))
            {
                var defects = trial.Defects.Where(d => d != SeriesQualityChecker.Glare).ToHashSet();
                results.Add(new OverviewResult($"{photo.Id}#{trial.Variant}", defects, checker.Check(Burst(scene, trial))));
            }
        });

        return Score([.. results.OrderBy(r => r.Source, StringComparer.Ordinal)]);
    }

    /// <summary><paramref name="count"/> simulated overviews with graded defects drawn from <paramref name="seed"/>, labelled as the real ones.</summary>
    public static OverviewScore RunSimulated(int count, int seed, int width = 640, int height = 480)
    {
        // The simulated camera's own sharpness, measured on a sharp, steady overview as a camera model's would be.
        using var sharp = FrameMeasurement.Of(SimulatedOverviewCamera.Render(new SimulatedOverviewScene { Seed = seed - 1 }, width, height, moved: false));
        var checker = new OverviewQualityChecker(Options.Create(new QualityOptions()), Options.Create(new OverviewOptions { OpticsEdgeBlur = sharp.EdgeBlur }));
        var rng = new Random(seed);
        var trials = Enumerable.Range(0, count).Select(i => Draw(rng, seed + i)).ToList();
        var results = new ConcurrentBag<OverviewResult>();
        Parallel.ForEach(trials, t => results.Add(new OverviewResult(
            $"simulated#{t.Scene.Seed}",
            t.Defects,
            checker.Check([SimulatedOverviewCamera.Render(t.Scene, width, height, moved: false), SimulatedOverviewCamera.Render(t.Scene, width, height, moved: true)]))));
        return Score([.. results.OrderBy(r => r.Source, StringComparer.Ordinal)]);
    }

    private static (SimulatedOverviewScene Scene, IReadOnlySet<string> Defects) Draw(Random rng, int seed)
    {
        var defects = new HashSet<string>();
        var brightness = 0.85 + (0.3 * rng.NextDouble());
        var exposure = rng.NextDouble();
        if (exposure < 0.15)
        {
            brightness = 0.05 + (0.15 * rng.NextDouble());
            defects.Add(SeriesQualityChecker.TooDark);
        }
        else if (exposure < 0.27)
        {
            brightness = 2.2 + rng.NextDouble();
            defects.Add(SeriesQualityChecker.Overexposed);
        }

        var judgeable = defects.Count == 0;
        var defocus = rng.NextDouble() < 0.3 ? 0.8 + (2.2 * rng.NextDouble()) : 0;
        if (judgeable && defocus >= RealPhotoTrialSet.BlurredFromSigma)
        {
            defects.Add(SeriesQualityChecker.Blurred);
        }

        var kind = rng.NextDouble();
        var motion = kind < 0.3 ? 3 + (19 * rng.NextDouble()) : kind < 0.6 ? rng.NextDouble() : 0;
        if (judgeable && motion > RealPhotoTrialSet.MovedAbovePixels)
        {
            defects.Add(SeriesQualityChecker.Moved);
        }

        var angle = rng.NextDouble() * Math.PI * 2;
        return (new SimulatedOverviewScene { Brightness = brightness, DefocusSigma = defocus, MotionDx = motion * Math.Cos(angle), MotionDy = motion * Math.Sin(angle), Seed = seed }, defects);
    }

    /// <summary>The burst from a photograph: two frames in the room's light (no glints), the second displaced by the hand's movement.</summary>
    public static IReadOnlyList<CapturedFrame> Burst(RealPhotoTrialSet.Scene scene, RealPhotoTrial trial)
    {
        var d = trial.Degradation;
        var rng = new Random(d.Seed);
        var (x, y) = (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
        var scale = scene.ScaleForMean(d.NormalMeanLevel) * Math.Pow(2, d.ExposureStops);
        var blur = Math.Sqrt((RealPhotoTrialSet.OpticsSigma * RealPhotoTrialSet.OpticsSigma) + (d.DefocusSigma * d.DefocusSigma));
        return
        [
            RealPhotoTrialSet.RenderFrame(scene.Linear, LightingMode.Ambient, x, y, blur, scale, 0, rng.Next()),
            RealPhotoTrialSet.RenderFrame(scene.Linear, LightingMode.Ambient, x + d.MotionX, y + d.MotionY, blur, scale, 0, rng.Next()),
        ];
    }

    private static OverviewScore Score(List<OverviewResult> results) => new(
        [.. Defects.Select(defect => DefectScore.Tally(defect, results, r => r.Defects, r => r.Report.Reasons))],
        results,
        results.Select(r => r.Source.Split('#')[0]).Distinct().Count());
}
