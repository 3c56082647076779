using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

public sealed class SimulatedCameraTests
{
    private static double Clipped(SimulatedScene scene, LightingMode lighting) =>
        SeriesQualityChecker.Measure(SimulatedCamera.Render(scene, lighting, 320, 240, false)).ClippedFraction;

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
    public void DarkScene_IsRetakeTooDark() => Assert.Equal([SeriesQualityChecker.TooDark], Check(new SimulatedScene { Brightness = 0.2 }).Reasons);

    [Fact]
    public void GlareInCrossPolarisedFrame_IsRetakeGlare() => Assert.Contains(SeriesQualityChecker.Glare, Check(new SimulatedScene { GlareInCrossPolarised = true }).Reasons);
}
