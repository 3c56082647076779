using Appliance.Calibration;
using Appliance.Firmware;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Storage;
using Appliance.Protocol;

namespace Appliance.Demo;

/// <summary>
/// Calibrates a simulated appliance against the simulated target (white card and chart through
/// <see cref="SimulatedOptics"/>, both rings) and installs the signed profile, as a calibration
/// run on the appliance would, so the demo and the tests capture calibrated series.
/// </summary>
public static class SimulatedCalibration
{
    public const int Width = 640, Height = 480;

    /// <summary>Installs a fresh profile when the data folder holds a bundle and no profile yet; returns it, or null if there is nothing to calibrate.</summary>
    public static CalibrationProfile? InstallIfMissing(string dataFolder, TimeSpan validity)
    {
        var bundlePath = Path.Combine(dataFolder, "bundle.json");
        if (!File.Exists(bundlePath) || File.Exists(Path.Combine(dataFolder, FileCalibrationStore.FileName)))
        {
            return null;
        }

        var bundle = ProvisioningBundleLoader.Load(bundlePath);
        var identity = new ApplianceIdentity(bundle.DeviceId, ApplianceIdentity.CurrentFirmwareVersion, Convert.FromBase64String(bundle.HostSealingPublicKey), Convert.FromBase64String(bundle.SigningPrivateKey));
        var (sheet, optics) = (TargetSheet.Default(), new SimulatedOptics());
        CapturedFrame[] Shots(Func<SimulatedOptics, TargetSheet, LightingMode, int, int, byte[]> render) =>
            [.. CaptureSequencer.Order.Select(ring => new CapturedFrame(ring, Width, Height, CapturedFrame.Rgb24, render(optics, sheet, ring, Width, Height)))];
        // The same run the appliance makes when staff press on the cards, without the presses.
        using var run = new CalibrationRun(new CalibrationRequest("fixture", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(1)));
        var (profile, refusal) = run.TakeWhite(Shots(SimulatedTarget.RenderWhite)) is { } unusable
            ? (null, unusable)
            : run.Finish(Shots(SimulatedTarget.RenderTarget), sheet, new CalibrationOptions { Validity = validity, CameraToSrgb = optics.CameraToSrgb() }, identity, DateTimeOffset.UtcNow);
        if (profile is null)
        {
            throw new InvalidOperationException($"the simulated target did not calibrate: {refusal}");
        }

        new FileCalibrationStore(dataFolder, identity).Save(profile);
        return profile;
    }
}
