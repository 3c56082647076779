using System.Collections.Concurrent;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.Options;

namespace Appliance.TestData;

/// <summary>What the quality checks said of one series from a real photograph.</summary>
public sealed record RealPhotoResult(RealPhotoTrial Trial, QualityReport Report);

/// <summary>
/// The quality checks scored on one half of the real photographs: each defect's precision and
/// recall, and the share of defect-free series sent to retake.
/// </summary>
public sealed record RealPhotoScore(IReadOnlyList<DefectScore> Defects, IReadOnlyList<RealPhotoResult> Results, int Images, IReadOnlyList<string> Unusable)
{
    public int CleanSeries => Results.Count(r => r.Trial.Defects.Count == 0);

    public int CleanRetaken => Results.Count(r => r.Trial.Defects.Count == 0 && !r.Report.Accepted);

    public double FalseRetakeRate => CleanSeries == 0 ? 0 : (double)CleanRetaken / CleanSeries;
}

/// <summary>
/// Runs the firmware's own <see cref="SeriesQualityChecker"/> over series made from real
/// photographs (<see cref="RealPhotoTrialSet"/>). The checker sees only the frames and the
/// optics reference a calibration would give it (the target's edge blur, measured by the
/// firmware's <see cref="FrameMeasurement"/> on the target through the same lens); never a label.
/// </summary>
public static class RealPhotoQualityScore
{
    public static RealPhotoScore Run(string half, int variants, QualityOptions? options = null, int? maxPhotos = null)
    {
        var photos = RealPhotoSet.Manifest().Where(p => p.Half == half).Take(maxPhotos ?? int.MaxValue).ToList();
        var checker = new SeriesQualityChecker(Options.Create(options ?? new QualityOptions()), calibration: new FakeCalibrationStore { Current = OpticsReference() });
        var results = new ConcurrentBag<RealPhotoResult>();
        var unusable = new ConcurrentBag<string>();
        Parallel.ForEach(photos, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, photo =>
        {
            using var scene = RealPhotoTrialSet.Prepare(photo);
            if (!scene.Usable)
            {
                unusable.Add(photo.Id);
                return;
            }

            foreach (var (_, trial) in RealPhotoTrialSet.Trials([scene], variants))
            {
                results.Add(new RealPhotoResult(trial, checker.Check(RealPhotoTrialSet.Render(scene, trial))));
            }
        });

        var ordered = results.OrderBy(r => r.Trial.Photo.Id, StringComparer.Ordinal).ThenBy(r => r.Trial.Variant).ToList();
        var scores = QualityTrialSet.Defects.Select(defect => DefectScore.Tally(defect, ordered, r => r.Trial.Defects, r => r.Report.Reasons)).ToList();
        return new RealPhotoScore(scores, ordered, ordered.Select(r => r.Trial.Photo.Id).Distinct().Count(), [.. unusable.Order(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// The profile a calibration run on this optics would carry for the focus check: each ring's
    /// target frame measured as <c>CalibrationRun</c> measures it. The rest of the profile is
    /// neutral; the quality checks read only the edge blur.
    /// </summary>
    public static CalibrationProfile OpticsReference(double opticsSigma = RealPhotoTrialSet.OpticsSigma)
    {
        var rings = CaptureSequencer.Order.Select(ring =>
        {
            using var measured = FrameMeasurement.Of(RealPhotoTrialSet.RenderTarget(ring, opticsSigma));
            return new RingProfile(ring, 1, 1, [1, 1, 1], [1, 1, 1], [1, 1, 1], "Linear3x3", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], 25.6, 0, 0, 0, TargetEdgeBlur: measured.EdgeBlur);
        }).ToArray();
        var now = DateTimeOffset.UtcNow;
        return new CalibrationProfile("real-photo-optics", "real-photo-optics", now, now.AddDays(30), "simulated target", "1", rings);
    }
}
