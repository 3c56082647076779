using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>
/// The overview's checks against the truth of simulated overviews whose defects are known: a
/// standard overview passes; a dark room, an overexposed frame, a defocus and a hand that
/// moved between the burst's frames are each caught with their reason, alone and together.
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
}
