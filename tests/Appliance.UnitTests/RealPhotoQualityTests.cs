using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestKit;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Appliance.UnitTests;

/// <summary>
/// The quality checks on series made from real photographs (the test command unpacks them from
/// Debian packages first). The full scoring is the <c>qc-real</c> benchmark; these check the set
/// itself and each defect alone on two photographs of the tuning half.
/// </summary>
public sealed class RealPhotoQualityTests(ITestOutputHelper output)
{
    private static readonly string[] Licences = ["CC0-1.0", "public domain", "GPL-2.0-or-later", "LGPL-3.0", "CC-BY-2.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0"];

    [Fact]
    public void TheManifest_GivesEveryPhotographAnAllowedLicenceAndOneHalf_AndEveryFileIsTheRecordedOne()
    {
        var photos = RealPhotoSet.Manifest();

        Assert.Equal(photos.Count, photos.Select(p => p.Id).Distinct().Count());
        Assert.All(photos, p => Assert.Contains(p.Licence, Licences));
        Assert.All(photos, p => Assert.False(string.IsNullOrWhiteSpace(p.Credit)));
        Assert.True(photos.Count(p => p.Half == RealPhoto.ScoreHalf) >= 20, "at least 20 photographs to score on");
        Assert.True(photos.Count(p => p.Half == RealPhoto.TuneHalf) >= 20, "at least 20 photographs to tune on");
        // PathOf checks each file's SHA-256 against the manifest.
        Assert.All(photos, p => Assert.True(File.Exists(RealPhotoSet.PathOf(p))));
    }

    public static TheoryData<string> Photographs => new() { "lomiri-Kleiber", "skimage-camera" };

    [Theory]
    [MemberData(nameof(Photographs))]
    public void EachDefectAlone_IsFoundWithItsOwnReason_AndTheCleanSeriesIsAccepted(string id)
    {
        using var scene = Scene(id);
        var checker = Checker(RealPhotoTrialSet.OpticsSigma);
        var normal = (RealPhotoTrialSet.LowestNormalMean + Math.Min(RealPhotoTrialSet.HighestNormalMean, scene.HighestMeanLevel)) / 2;
        var clean = new RealPhotoDegradation(0, 0.4, -0.3, 0, normal, 0, Seed: 5);
        (RealPhotoDegradation Degradation, string? Reason)[] cases =
        [
            (clean, null),
            (clean with { DefocusSigma = 2.5 }, SeriesQualityChecker.Blurred),
            (clean with { MotionX = 9, MotionY = -7 }, SeriesQualityChecker.Moved),
            (clean with { ExposureStops = -6 }, SeriesQualityChecker.TooDark),
            (clean with { ExposureStops = 4 }, SeriesQualityChecker.Overexposed),
            (clean with { PolariserLeak = 0.8 }, SeriesQualityChecker.Glare),
        ];

        foreach (var (degradation, reason) in cases)
        {
            var report = checker.Check(RealPhotoTrialSet.Render(scene, Trial(scene, degradation)));
            output.WriteLine($"{id} {degradation}: {string.Join(", ", report.Reasons)} (defocus {report.DefocusPixels}, motion {report.MotionPixels})");
            Assert.Equal(reason is null ? [] : [reason], report.Reasons);
        }
    }

    [Fact]
    public void ASofterLens_IsMeasuredOnTheTarget_SoItsSharpFramesPass_WhileDefocusOnTopIsStillCaught()
    {
        // Twice the reference lens's blur: the appliance's own calibration target shows it.
        const double softLens = 1.4;
        using var scene = Scene("lomiri-Kleiber");
        var normal = (RealPhotoTrialSet.LowestNormalMean + Math.Min(RealPhotoTrialSet.HighestNormalMean, scene.HighestMeanLevel)) / 2;
        var sharp = Trial(scene, new RealPhotoDegradation(0, 0, 0, 0, normal, 0, Seed: 9));
        var defocused = Trial(scene, sharp.Degradation with { DefocusSigma = 3 });

        var reference = RealPhotoQualityScore.OpticsReference();
        var soft = RealPhotoQualityScore.OpticsReference(softLens);
        Assert.All(CaptureSequencer.Order, ring => Assert.True(soft.For(ring)!.TargetEdgeBlur > reference.For(ring)!.TargetEdgeBlur * 1.3));

        var withItsOwnCalibration = Checker(softLens).Check(RealPhotoTrialSet.Render(scene, sharp, softLens));
        var withTheReferenceLenss = Checker(RealPhotoTrialSet.OpticsSigma).Check(RealPhotoTrialSet.Render(scene, sharp, softLens));
        var defocusOnTop = Checker(softLens).Check(RealPhotoTrialSet.Render(scene, defocused, softLens));
        output.WriteLine($"soft lens, its calibration: {withItsOwnCalibration.DefocusPixels}; the reference lens's: {withTheReferenceLenss.DefocusPixels}; defocus on top: {defocusOnTop.DefocusPixels}");

        Assert.True(withItsOwnCalibration.Accepted, string.Join(", ", withItsOwnCalibration.Reasons));
        Assert.Contains(SeriesQualityChecker.Blurred, withTheReferenceLenss.Reasons);
        Assert.Contains(SeriesQualityChecker.Blurred, defocusOnTop.Reasons);
    }

    /// <summary>
    /// Two series of the tuning half whose frames did not move (under a pixel) but which were called
    /// moved: defocused, with little left to match, the coarse search settled on a shift that
    /// matched worse than no shift at all.
    /// </summary>
    [Theory]
    [InlineData("mate-Storm", 12)]
    [InlineData("lomiri-sunset", 16)]
    public void FramesThatMatchBestWhereTheyStand_AreNotCalledMoved(string id, int variant)
    {
        using var scene = Scene(id);
        var trial = RealPhotoTrialSet.Trials([scene], variant + 1).Single(t => t.Trial.Variant == variant).Trial;
        Assert.True(trial.Degradation.MotionPixels < 1, $"the series chosen moved {trial.Degradation.MotionPixels:F2} px");

        var report = Checker(RealPhotoTrialSet.OpticsSigma).Check(RealPhotoTrialSet.Render(scene, trial));

        output.WriteLine($"{id} {trial.Variant}: {string.Join(", ", report.Reasons)} (motion {report.MotionPixels})");
        Assert.DoesNotContain(SeriesQualityChecker.Moved, report.Reasons);
        Assert.True(report.MotionPixels <= 3, $"motion {report.MotionPixels}");
    }

    private static RealPhotoTrialSet.Scene Scene(string id) =>
        RealPhotoTrialSet.Prepare(RealPhotoSet.Manifest().Single(p => p.Id == id));

    private static RealPhotoTrial Trial(RealPhotoTrialSet.Scene scene, RealPhotoDegradation degradation) =>
        new(scene.Photo, 0, degradation, new HashSet<string>());

    private static SeriesQualityChecker Checker(double opticsSigma) =>
        new(Options.Create(new QualityOptions()), calibration: new FakeCalibrationStore { Current = RealPhotoQualityScore.OpticsReference(opticsSigma) });
}
