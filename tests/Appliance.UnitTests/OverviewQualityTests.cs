using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.TestData;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>
/// The overview's checks against the truth of simulated overviews whose defects are known: a
/// standard overview passes; a dark room, an overexposed frame, a defocus and a hand that
/// moved between the burst's frames are each caught with their reason, alone and together; and
/// each defect alone on bursts made from real photographs of the scoring half (the full scoring
/// is the <c>qc-overview</c> benchmark).
/// </summary>
public sealed class OverviewQualityTests
{
    private const int Width = 640, Height = 480;

    private readonly OverviewQualityChecker _checker = new(Options.Create(new QualityOptions()), Options.Create(new OverviewOptions()));

    public static TheoryData<string, double, double, double, string[]> Overviews => new()
    {
        { "standard", 1.0, 0, 0, [] },
        { "a steady hand (1 px)", 1.0, 0, 1, [] },
        { "slightly soft (σ 0.4)", 1.0, 0.4, 0, [] },
        { "dark room", 0.2, 0, 0, [SeriesQualityChecker.TooDark] },
        { "overexposed", 2.5, 0, 0, [SeriesQualityChecker.Overexposed] },
        { "defocused (σ 2.5)", 1.0, 2.5, 0, [SeriesQualityChecker.Blurred] },
        { "moved 10 px", 1.0, 0, 10, [SeriesQualityChecker.Moved] },
        { "defocused and moved", 1.0, 2.5, 10, [SeriesQualityChecker.Blurred, SeriesQualityChecker.Moved] },
    };

    [Theory]
    [MemberData(nameof(Overviews))]
    public void EachDefect_IsCaughtWithItsReason_AndAGoodOverviewPasses(string name, double brightness, double defocus, double motion, string[] expected)
    {
        var scene = new SimulatedOverviewScene { Brightness = brightness, DefocusSigma = defocus, MotionDx = motion * 0.8, MotionDy = motion * 0.6 };

        var report = _checker.Check([SimulatedOverviewCamera.Render(scene, Width, Height, moved: false), SimulatedOverviewCamera.Render(scene, Width, Height, moved: true)]);

        Assert.True(expected.Order().SequenceEqual(report.Reasons.Order()), $"{name}: {string.Join(", ", report.Reasons)} (defocus {report.DefocusPixels}, motion {report.MotionPixels}, mean {report.MeanLevel})");
        Assert.Equal(expected.Length == 0, report.Accepted);
        if (motion > 0 && brightness == 1.0)
        {
            Assert.Equal(motion, report.MotionPixels, 0);
        }
    }

    [Fact]
    public void AtTwiceTheReviewWidth_TheMotionIsReadInReviewPixels()
    {
        var scene = new SimulatedOverviewScene { MotionDx = 6 };

        var report = _checker.Check([SimulatedOverviewCamera.Render(scene, 1280, 960, moved: false), SimulatedOverviewCamera.Render(scene, 1280, 960, moved: true)]);

        Assert.Equal(6, report.MotionPixels, 0);
        Assert.Contains(SeriesQualityChecker.Moved, report.Reasons);
    }

    [Theory]
    [InlineData("lomiri-analogpattern")]
    [InlineData("lomiri-Dragonfly")]
    public void OnARealPhotograph_EachDefectAlone_IsFoundWithItsOwnReason_AndTheCleanBurstPasses(string id)
    {
        using var scene = RealPhotoTrialSet.Prepare(RealPhotoSet.Manifest().Single(p => p.Id == id && p.Half == RealPhoto.ScoreHalf));
        var checker = new OverviewQualityChecker(Options.Create(new QualityOptions()), Options.Create(OverviewQualityScore.RealPhotoOptions()));
        var normal = (RealPhotoTrialSet.LowestNormalMean + Math.Min(RealPhotoTrialSet.HighestNormalMean, scene.HighestMeanLevel)) / 2;
        var clean = new RealPhotoDegradation(0, 0.4, -0.3, 0, normal, 0, Seed: 5);
        (RealPhotoDegradation Degradation, string? Reason)[] cases =
        [
            (clean, null),
            (clean with { DefocusSigma = 2.5 }, SeriesQualityChecker.Blurred),
            (clean with { MotionX = 9, MotionY = -7 }, SeriesQualityChecker.Moved),
            (clean with { ExposureStops = -6 }, SeriesQualityChecker.TooDark),
            (clean with { ExposureStops = 4 }, SeriesQualityChecker.Overexposed),
        ];

        foreach (var (degradation, reason) in cases)
        {
            var report = checker.Check(OverviewQualityScore.Burst(scene, new RealPhotoTrial(scene.Photo, 0, degradation, new HashSet<string>())));
            string[] expected = reason is null ? [] : [reason];
            Assert.True(expected.SequenceEqual(report.Reasons), $"{id} {degradation}: {string.Join(", ", report.Reasons)} (defocus {report.DefocusPixels}, motion {report.MotionPixels})");
        }
    }
}
