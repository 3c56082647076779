using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

public sealed class SimulatedCameraTests
{
    private static double Clipped(SimulatedScene scene, LightingMode lighting) =>
        FrameMeasurement.Of(SimulatedCamera.Render(scene, lighting, 320, 240, false)).ClippedFraction;

    [Fact]
    public void Glare_AppearsUnderNonPolarisedLightOnly()
    {
        var scene = new SimulatedScene { GlareSpots = 12 };

        Assert.Equal(0, Clipped(scene, LightingMode.CrossPolarised));
        Assert.True(Clipped(scene, LightingMode.NonPolarised) > 0.0005);
    }

    [Fact]
    public void PolariserFault_PutsGlareIntoTheCrossPolarisedFrame()
    {
        Assert.True(Clipped(new SimulatedScene { GlareInCrossPolarised = true }, LightingMode.CrossPolarised) > 0.0005);
    }

    [Fact]
    public void Lesion_IsDarkerThanTheSkinAroundIt()
    {
        var frame = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, 320, 240, false);
        static int Luma(CapturedFrame f, int x, int y)
        {
            var i = ((y * f.Width) + x) * 3;
            return (f.Pixels[i] + f.Pixels[i + 1] + f.Pixels[i + 2]) / 3;
        }

        Assert.True(Luma(frame, 160, 120) < Luma(frame, 20, 120) - 60, "lesion centre should be far darker than skin");
    }

    [Fact]
    public void Render_IsDeterministicForAScene_AndMotionShiftsTheLesion()
    {
        var scene = new SimulatedScene { MotionDx = 12 };
        var a = SimulatedCamera.Render(scene, LightingMode.CrossPolarised, 160, 120, false);
        var b = SimulatedCamera.Render(scene, LightingMode.CrossPolarised, 160, 120, false);
        var moved = SimulatedCamera.Render(scene, LightingMode.CrossPolarised, 160, 120, true);

        Assert.Equal(a.Pixels, b.Pixels);
        Assert.NotEqual(a.Pixels, moved.Pixels);
    }
}

public sealed class SeriesQualityCheckerTests
{
    private readonly SeriesQualityChecker _checker = new(Options.Create(new QualityOptions()));

    private QualityReport Check(SimulatedScene scene) =>
        _checker.Check([.. CaptureSequencer.Order.Select(l => SimulatedCamera.Render(scene, l, 320, 240, l == LightingMode.NonPolarised))]);

    [Fact]
    public void WellExposedSeries_WithGlareOnlyInNonPolarised_IsAccepted()
    {
        var report = Check(new SimulatedScene());

        Assert.True(report.Accepted, string.Join(",", report.Reasons));
        Assert.Empty(report.Reasons);
    }

    [Fact]
    public void DarkScene_IsRetakeTooDark() => Assert.Equal([SeriesQualityChecker.TooDark], Check(new SimulatedScene { Brightness = 0.02 }).Reasons);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void BlurredScene_IsRetakeBlurred_WithTheDefocusMeasured(int radius)
    {
        // A box of radius 2 has σ 1.4, past the blurred label's σ 1.2.
        var report = Check(new SimulatedScene { BlurRadius = radius });

        Assert.Equal([SeriesQualityChecker.Blurred], report.Reasons);
        Assert.True(report.DefocusPixels > new QualityOptions().MaxDefocusPixels, $"defocus {report.DefocusPixels}");
        Assert.True(report.FocusRatio < 1, $"focus {report.FocusRatio}");
    }

    [Fact]
    public void AFrameWithNoEdgeAboveItsNoise_CannotShowItIsInFocus_AndIsRetakeBlurred()
    {
        // Well exposed and featureless, as a head held off the skin or fully defocused would give.
        var rng = new Random(3);
        var frames = CaptureSequencer.Order.Select(ring =>
        {
            var pixels = new byte[320 * 240 * 3];
            for (var i = 0; i < pixels.Length; i++)
            {
                pixels[i] = (byte)(128 + rng.Next(-2, 3));
            }

            return new CapturedFrame(ring, 320, 240, CapturedFrame.Rgb24, pixels);
        }).ToList();

        var report = _checker.Check(frames);

        Assert.Equal([SeriesQualityChecker.Blurred], report.Reasons);
        Assert.Null(report.DefocusPixels);
        Assert.Equal(0, report.FocusRatio);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, true)]
    public void AFrameWithNoEdgeAboveItsNoise_IsJudgedByTheOtherFrame_WhichShowsTheFocus(int blurRadius, bool blurred)
    {
        // The polariser's frame of soft skin can show nothing above its noise; the other frame,
        // through the same lens a moment later, shows whether the lens was in focus.
        var rng = new Random(5);
        var featureless = new byte[320 * 240 * 3];
        for (var i = 0; i < featureless.Length; i++)
        {
            featureless[i] = (byte)(128 + rng.Next(-2, 3));
        }

        var report = _checker.Check(
        [
            new CapturedFrame(LightingMode.CrossPolarised, 320, 240, CapturedFrame.Rgb24, featureless),
            SimulatedCamera.Render(new SimulatedScene { BlurRadius = blurRadius }, LightingMode.NonPolarised, 320, 240, false),
        ]);

        Assert.Equal(blurred, report.Reasons.Contains(SeriesQualityChecker.Blurred));
        Assert.NotNull(report.DefocusPixels);
    }

    [Fact]
    public void HeadMovedBetweenFrames_IsRetakeMoved_WithTheShiftMeasured()
    {
        var report = Check(new SimulatedScene { MotionDx = 9, MotionDy = -4 });

        Assert.Equal([SeriesQualityChecker.Moved], report.Reasons);
        Assert.Equal(Math.Sqrt((9 * 9) + (4 * 4)), report.MotionPixels, 1);
    }

    [Fact]
    public void SeveralDefects_AreAllNamed()
    {
        var report = Check(new SimulatedScene { GlareInCrossPolarised = true, MotionDx = 12, BlurRadius = 2 });

        Assert.Equal([SeriesQualityChecker.Glare, SeriesQualityChecker.Blurred, SeriesQualityChecker.Moved], report.Reasons);
    }

    [Fact]
    public void ADarkSeries_IsOnlyTooDark_ForFocusAndMotionCannotBeJudgedInSensorNoise()
    {
        var report = Check(new SimulatedScene { Brightness = 0.02, MotionDx = 12, BlurRadius = 2 });

        Assert.Equal([SeriesQualityChecker.TooDark], report.Reasons);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 0)]
    [InlineData(-7, 5)]
    [InlineData(20, -13)]
    public void EstimateShift_FindsTheTrueShiftBetweenDifferentlyLitFrames(int dx, int dy)
    {
        var scene = new SimulatedScene { MotionDx = dx, MotionDy = dy };
        var a = SimulatedCamera.Render(scene, LightingMode.CrossPolarised, 320, 240, false);
        var b = SimulatedCamera.Render(scene, LightingMode.NonPolarised, 320, 240, true);

        var (foundX, foundY, match) = ImageMetrics.EstimateShift(FrameMeasurement.Of(a), FrameMeasurement.Of(b), 32);
        Assert.Equal((dx, dy), (foundX, foundY));
        Assert.True(match > 0.5, $"match {match:F2}");
    }

    [Fact]
    public void GlareInCrossPolarisedFrame_IsRetakeGlare() => Assert.Contains(SeriesQualityChecker.Glare, Check(new SimulatedScene { GlareInCrossPolarised = true }).Reasons);
}
