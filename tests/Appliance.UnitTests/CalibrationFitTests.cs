using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;

namespace Appliance.UnitTests;

/// <summary>
/// The whole calibration on simulated frames of the target, with a known camera colour
/// distortion and vignetting: the acceptance figures, at the default resolution.
/// </summary>
public sealed class CalibrationFitTests
{
    private const int Width = 640, Height = 480;

    [Theory]
    [InlineData(LightingMode.CrossPolarised)]
    [InlineData(LightingMode.NonPolarised)]
    public void OnTheSimulatedTarget_HeldOutPatchesReachDeltaE2_AndTheScaleIsWithinOnePercent(LightingMode ring)
    {
        var sheet = TargetSheet.Default();
        var optics = new SimulatedOptics();
        var white = SimulatedTarget.RenderWhite(optics, sheet, ring, Width, Height);
        var target = SimulatedTarget.RenderTarget(optics, sheet, ring, Width, Height);

        var result = CalibrationFitter.Fit(white, target, Width, Height, sheet);

        Assert.True(result.Before.MeanDeltaE > 5, $"uncalibrated mean ΔE00 {result.Before.MeanDeltaE:F1}: the simulated camera should be visibly off");
        Assert.True(result.After.MeanDeltaE <= 2.0, $"calibrated mean ΔE00 {result.After.MeanDeltaE:F2} on {result.After.Patches} held-out patches");
        Assert.True(result.After.MaxDeltaE <= 5.0, $"calibrated worst ΔE00 {result.After.MaxDeltaE:F2}");
        var truth = optics.PixelsPerMillimetre(Width);
        Assert.True(Math.Abs(result.PixelsPerMillimetre - truth) / truth < 0.01, $"{result.PixelsPerMillimetre:F3} px/mm against {truth:F3}");
        Assert.InRange(result.FlatField.Falloff, 0.55, 0.75);
    }

    [Fact]
    public void TheDefaultSheet_IsValid_AndASheetWithNothingHeldOut_IsRefused()
    {
        var sheet = TargetSheet.Default();
        Assert.Null(sheet.Validate());
        Assert.Equal(24, sheet.Patches.Count);
        Assert.Equal(6, sheet.HeldOutPatches.Count());
        var none = sheet with { Patches = [.. sheet.Patches.Select(p => p with { HeldOut = false })] };
        Assert.Contains("held out", none.Validate());
    }

    [Fact]
    public void AnAdminsOwnSheet_IsLoadedFromAFile_AndAMalformedOneSaysWhy()
    {
        var folder = Directory.CreateTempSubdirectory("sheet");
        try
        {
            var path = Path.Combine(folder.FullName, "our-target.json");
            File.WriteAllText(path, "{\"name\":\"x\",\"version\":\"1\",\"card\":{\"l\":50,\"a\":0,\"b\":0},\"white\":{\"l\":95,\"a\":0,\"b\":0},\"scaleSquare\":{\"sideMillimetres\":3,\"x0\":0.4,\"y0\":0.7,\"x1\":0.6,\"y1\":0.9},\"patches\":[]}");
            Assert.Contains("at least 9 patches", Assert.Throws<InvalidDataException>(() => TargetSheet.Load(path)).Message);
            File.WriteAllText(path, "{\"name\":\"x\",\"colour\":1}");
            Assert.Contains("not a target sheet", Assert.Throws<InvalidDataException>(() => TargetSheet.Load(path)).Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
