using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;

namespace Appliance.UnitTests;

/// <summary>The simulator's calibration target mode: the chart's patches come out where and as the truth says.</summary>
public sealed class CalibrationTargetTests
{
    private const int Width = 480;
    private const int Height = 360;

    /// <summary>Mean of each channel over the middle half of a patch.</summary>
    private static (double R, double G, double B) PatchMean(byte[] pixels, ChartPatch patch)
    {
        double r = 0, g = 0, b = 0;
        var n = 0;
        var (qx, qy) = ((patch.X1 - patch.X0) / 4, (patch.Y1 - patch.Y0) / 4);
        for (var y = (int)((patch.Y0 + qy) * Height); y < (int)((patch.Y1 - qy) * Height); y++)
        {
            for (var x = (int)((patch.X0 + qx) * Width); x < (int)((patch.X1 - qx) * Width); x++)
            {
                var i = ((y * Width) + x) * 3;
                r += pixels[i];
                g += pixels[i + 1];
                b += pixels[i + 2];
                n++;
            }
        }

        return (r / n, g / n, b / n);
    }

    /// <summary>The simulated lens's fall-off at a point: 1 at the centre.</summary>
    private static double Vignette((double X, double Y) at)
    {
        var (vx, vy) = ((at.X - 0.5) * Width, (at.Y - 0.5) * Height);
        var rr = Math.Sqrt((vx * vx) + (vy * vy)) / (Math.Sqrt((Width * Width) + (Height * Height)) / 2);
        return 1 - (0.18 * rr * rr);
    }

    [Fact]
    public void NeutralPatches_UnderCrossPolarisedLight_ReadAsTheirNominalGreyTimesTheLensFallOff()
    {
        var frame = SimulatedCamera.Render(new SimulatedScene { CalibrationTarget = true }, LightingMode.CrossPolarised, Width, Height, false);

        var neutrals = CalibrationChart.Patches.Where(p => p.IsNeutral).ToList();
        Assert.Equal(6, neutrals.Count);
        foreach (var patch in neutrals)
        {
            var (r, g, b) = PatchMean(frame.Pixels, patch);
            var expected = patch.Colour.R * Vignette(patch.Centre);
            Assert.InRange(r, expected - 1.5, expected + 1.5);
            Assert.InRange(g, expected - 1.5, expected + 1.5);
            Assert.InRange(b, expected - 1.5, expected + 1.5);
        }
    }

    [Fact]
    public void SensorGains_CastTheWholeChart_WhichIsWhatCalibrationMustUndo()
    {
        var neutral = SimulatedCamera.Render(new SimulatedScene { CalibrationTarget = true }, LightingMode.CrossPolarised, Width, Height, false);
        var cast = SimulatedCamera.Render(new SimulatedScene { CalibrationTarget = true, SensorGains = (1.12, 1.0, 0.85) }, LightingMode.CrossPolarised, Width, Height, false);

        var grey = CalibrationChart.Patches.Single(p => p.Name == "neutral 5");
        var before = PatchMean(neutral.Pixels, grey);
        var after = PatchMean(cast.Pixels, grey);
        Assert.InRange(after.R / before.R, 1.11, 1.13);
        Assert.InRange(after.G / before.G, 0.99, 1.01);
        Assert.InRange(after.B / before.B, 0.84, 0.86);
    }

    [Fact]
    public void ColouredPatches_KeepTheirOrder_TheRedPatchIsRedAndTheCyanPatchIsCyan()
    {
        var frame = SimulatedCamera.Render(new SimulatedScene { CalibrationTarget = true, GlareSpots = 0 }, LightingMode.NonPolarised, Width, Height, false);

        var red = PatchMean(frame.Pixels, CalibrationChart.Patches.Single(p => p.Name == "red"));
        var cyan = PatchMean(frame.Pixels, CalibrationChart.Patches.Single(p => p.Name == "cyan"));
        Assert.True(red.R > red.G + 80 && red.R > red.B + 80, $"red patch reads {red}");
        Assert.True(cyan.B > cyan.R + 80 && cyan.G > cyan.R + 60, $"cyan patch reads {cyan}");
        var greys = CalibrationChart.Patches.Where(p => p.IsNeutral).Select(p => PatchMean(frame.Pixels, p).G).ToList();
        Assert.Equal(greys.OrderDescending(), greys);
    }
}
