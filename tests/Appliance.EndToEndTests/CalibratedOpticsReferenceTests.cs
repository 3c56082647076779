using Appliance.Calibration;
using Appliance.Demo;
using Appliance.TestData;
using Appliance.TestKit;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

/// <summary>
/// The focus check's optics reference is what a calibration measured on the target. That a soft
/// lens's sharp frames then pass while defocus on top is still caught is shown on real
/// photographs (<see cref="RealPhotoQualityTests"/>): the simulator draws its skin's glints after
/// the blur, so its skin cannot stand in for a lens.
/// </summary>
public sealed class CalibratedOpticsReferenceTests
{
    private const int Width = 640, Height = 480;

    private static FakeCalibrationStore CalibratedThrough(SimulatedOptics optics)
    {
        var (profile, refusal) = SimulatedCalibration.Run(optics, Identity(), new CalibrationOptions(), Width, Height);
        Assert.Null(refusal);
        return new FakeCalibrationStore { Current = profile };
    }

    internal static ApplianceIdentity Identity() => new("test-device-01", "0.1.0", new byte[32], SeriesSigning.CreateKeyPair().PrivateKey);

    [Fact]
    public void OnTheSimulatorsOptics_TheCalibratedTargetEdgeBlurIsTheDefault()
    {
        var options = new QualityOptions();
        var checker = new SeriesQualityChecker(Options.Create(options), calibration: CalibratedThrough(new SimulatedOptics()));

        Assert.All(CaptureSequencer.Order, ring => Assert.InRange(checker.TargetEdgeBlur(ring, options) / options.DefaultTargetEdgeBlur, 0.9, 1.1));
    }

    [Fact]
    public void ASoftLens_MeasuresAWiderTargetEdge()
    {
        var options = new QualityOptions();
        var sharp = new SeriesQualityChecker(Options.Create(options), calibration: CalibratedThrough(new SimulatedOptics()));
        var soft = new SeriesQualityChecker(Options.Create(options), calibration: CalibratedThrough(new SimulatedOptics { LensBlurRadius = 1 }));

        Assert.All(CaptureSequencer.Order, ring => Assert.True(soft.TargetEdgeBlur(ring, options) > sharp.TargetEdgeBlur(ring, options) * 1.3));
    }
}

/// <summary>What a calibration run measures of the light and the lens, against the simulator's truth.</summary>
public sealed class CalibrationMeasuresTheOpticsTests
{
    [Fact]
    public void EachRingsColourTemperature_AndTheMagnification_MatchTheSimulatorsTruth()
    {
        var optics = new SimulatedOptics { RingColourTemperature = (3800, 5600) };
        var options = new CalibrationOptions { CameraToSrgb = optics.MeasuredCharacterisation(TargetSheet.Default()), SensorWidthMillimetres = 6.287 };

        var (profile, refusal) = SimulatedCalibration.Run(optics, CalibratedOpticsReferenceTests.Identity(), options);

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
        var profile = SimulatedCalibration.Run(optics, CalibratedOpticsReferenceTests.Identity(), new CalibrationOptions(), width, height).Profile!;

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

