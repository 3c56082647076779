using Appliance.Calibration;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>The focus check against the baseline a calibration measured: a soft lens is not a blurred capture.</summary>
public sealed class CalibratedFocusBaselineTests
{
    private const int Width = 640, Height = 480;

    private static SettableCalibration CalibratedThrough(SimulatedOptics optics)
    {
        var identity = new ApplianceIdentity("focus-device-01", "0.1.0", new byte[32], SeriesSigning.CreateKeyPair().PrivateKey);
        using var run = new CalibrationRun(new CalibrationRequest("run-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5)));
        CapturedFrame[] Shots(Func<SimulatedOptics, TargetSheet, LightingMode, int, int, byte[]> render) =>
            [.. CaptureSequencer.Order.Select(l => new CapturedFrame(l, Width, Height, CapturedFrame.Rgb24, render(optics, TargetSheet.Default(), l, Width, Height)))];
        Assert.Null(run.TakeWhite(Shots(SimulatedTarget.RenderWhite)));
        var (profile, refusal) = run.Finish(Shots(SimulatedTarget.RenderTarget), TargetSheet.Default(), new CalibrationOptions(), identity, DateTimeOffset.UtcNow);
        Assert.Null(refusal);
        return new SettableCalibration { Current = profile };
    }

    private static QualityReport Check(SeriesQualityChecker checker, int blur) =>
        checker.Check([.. CaptureSequencer.Order.Select(l => SimulatedCamera.Render(new SimulatedScene { BlurRadius = blur }, l, Width, Height, l == LightingMode.NonPolarised))]);

    [Fact]
    public void OnTheReferenceOptics_TheCalibratedBaselineIsTheConfiguredOne()
    {
        var options = new QualityOptions();
        var checker = new SeriesQualityChecker(Options.Create(options), calibration: CalibratedThrough(new SimulatedOptics()));

        Assert.All(CaptureSequencer.Order, ring => Assert.InRange(checker.FocusBaseline(ring, options) / options.FocusBaseline, 0.85, 1.15));
    }

    [Fact]
    public void ASoftLens_CalibratedBaseline_AcceptsItsSharpestFrames_AndStillCatchesDefocus()
    {
        // The lens resolves less: skin through it looks like skin blurred by one pixel, and so does the target.
        var softLens = new SimulatedOptics { LensBlurRadius = 1 };
        var uncalibrated = new SeriesQualityChecker(Options.Create(new QualityOptions()));
        var calibrated = new SeriesQualityChecker(Options.Create(new QualityOptions()), calibration: CalibratedThrough(softLens));

        Assert.Contains(SeriesQualityChecker.Blurred, Check(uncalibrated, blur: 1).Reasons); // every capture a retake
        var sharpest = Check(calibrated, blur: 1);
        Assert.True(sharpest.Accepted, string.Join(", ", sharpest.Reasons));
        Assert.Contains(SeriesQualityChecker.Blurred, Check(calibrated, blur: 3).Reasons); // defocus on top of the soft lens
    }
}

/// <summary>What a calibration run measures of the light and the lens, against the simulator's truth.</summary>
public sealed class CalibrationMeasuresTheOpticsTests
{
    [Fact]
    public void EachRingsColourTemperature_AndTheMagnification_MatchTheSimulatorsTruth()
    {
        var optics = new SimulatedOptics { RingColourTemperature = (3800, 5600) };
        var identity = new ApplianceIdentity("optics-device-01", "0.1.0", new byte[32], SeriesSigning.CreateKeyPair().PrivateKey);
        using var run = new CalibrationRun(new CalibrationRequest("run-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5)));
        CapturedFrame[] Shots(Func<SimulatedOptics, TargetSheet, LightingMode, int, int, byte[]> render) =>
            [.. CaptureSequencer.Order.Select(l => new CapturedFrame(l, 640, 480, CapturedFrame.Rgb24, render(optics, TargetSheet.Default(), l, 640, 480)))];
        Assert.Null(run.TakeWhite(Shots(SimulatedTarget.RenderWhite)));
        var options = new CalibrationOptions { CameraToSrgb = optics.CameraToSrgb(), SensorWidthMillimetres = 6.287 };

        var (profile, refusal) = run.Finish(Shots(SimulatedTarget.RenderTarget), TargetSheet.Default(), options, identity, DateTimeOffset.UtcNow);

        Assert.Null(refusal);
        // Within 5%: the characterisation leaves out the sensor's cross-talk and bent response, as a real one would.
        Assert.InRange(profile!.For(LightingMode.CrossPolarised)!.EmitterColorTemperature!.Value, 3800 * 0.95, 3800 * 1.05);
        Assert.InRange(profile.For(LightingMode.NonPolarised)!.EmitterColorTemperature!.Value, 5600 * 0.95, 5600 * 1.05);
        // 25.6 px/mm on the skin, 6.287 mm of sensor over 640 pixels.
        Assert.All(profile.Rings, r => Assert.InRange(r.OpticalMagnification!.Value, 0.2515 * 0.99, 0.2515 * 1.01));
    }
}
