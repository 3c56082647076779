using Appliance.Calibration;
using Appliance.Demo;
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
        var (profile, refusal) = SimulatedCalibration.Run(optics, Identity(), new CalibrationOptions(), Width, Height);
        Assert.Null(refusal);
        return new SettableCalibration { Current = profile };
    }

    internal static ApplianceIdentity Identity() => new("test-device-01", "0.1.0", new byte[32], SeriesSigning.CreateKeyPair().PrivateKey);

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
        var options = new CalibrationOptions { CameraToSrgb = optics.CameraToSrgb(), SensorWidthMillimetres = 6.287 };

        var (profile, refusal) = SimulatedCalibration.Run(optics, CalibratedFocusBaselineTests.Identity(), options);

        Assert.Null(refusal);
        // Within 5%: the characterisation leaves out the sensor's cross-talk and bent response, as a real one would.
        Assert.InRange(profile!.For(LightingMode.CrossPolarised)!.EmitterColorTemperature!.Value, 3800 * 0.95, 3800 * 1.05);
        Assert.InRange(profile.For(LightingMode.NonPolarised)!.EmitterColorTemperature!.Value, 5600 * 0.95, 5600 * 1.05);
        // 25.6 px/mm on the skin, 6.287 mm of sensor over 640 pixels.
        Assert.All(profile.Rings, r => Assert.InRange(r.OpticalMagnification!.Value, 0.2515 * 0.99, 0.2515 * 1.01));
    }
}

/// <summary>Skin goes through the same simulated camera as the cards, so the cards' calibration corrects it.</summary>
public sealed class CalibratedSkinTests
{
    [Theory]
    [InlineData(LightingMode.CrossPolarised, 1.08, 0.0)]
    [InlineData(LightingMode.NonPolarised, 0.96, 14.0)]
    public void CalibratedSkin_ComesBackAsTheSkinsOwnColour_WhereTheOriginalIsFarOff(LightingMode ring, double saturation, double sheen)
    {
        const int width = 640, height = 480;
        var optics = new SimulatedOptics();
        var profile = SimulatedCalibration.Run(optics, CalibratedFocusBaselineTests.Identity(), new CalibrationOptions(), width, height).Profile!;

        // Plain skin away from the lesion, no hair or glare; the truth is its colour as the ring shows it.
        var scene = new SimulatedScene { HairCount = 0, GlareSpots = 0, LesionCentreX = 0.85, LesionCentreY = 0.85, LesionRadius = 0.05 };
        var frame = SimulatedCamera.Render(scene, ring, width, height, false, optics: optics);
        var (r, g, b) = (scene.SkinTone.R, scene.SkinTone.G, scene.SkinTone.B);
        var mean = (r + g + b) / 3.0;
        var truth = ColourSpaces.SrgbToLab(mean + ((r - mean) * saturation) + sheen, mean + ((g - mean) * saturation) + sheen, mean + ((b - mean) * saturation) + sheen);
        // A corner region, where the lens darkens most.
        var region = (X0: 40, Y0: 40, X1: 140, Y1: 120);

        var original = LinearImage.FromRgb24(frame.Pixels, width, height).Mean(region.X0, region.Y0, region.X1, region.Y1);
        var calibrated = CalibrationProfiles.ToCorrection(profile.For(ring)!, width, height).Apply(LinearImage.FromRgb24(frame.Pixels, width, height)).Mean(region.X0, region.Y0, region.X1, region.Y1);

        var (before, after) = (DeltaE2000.Between(ColourSpaces.ToLab(original), truth), DeltaE2000.Between(ColourSpaces.ToLab(calibrated), truth));
        Assert.True(before > 5 && after < 2.0, $"ΔE00 against the skin's colour: original {before:F1}, calibrated {after:F1}");
    }
}

