using Appliance.Calibration;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.Firmware.Storage.Enrolment;

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
        var optics = new SimulatedOptics();
        var (profile, refusal) = Run(optics, identity, new CalibrationOptions { Validity = validity, CameraToSrgb = optics.CameraToSrgb() });
        if (profile is null)
        {
            throw new InvalidOperationException($"the simulated target did not calibrate: {refusal}");
        }

        new FileCalibrationStore(dataFolder, identity).Save(profile);
        return profile;
    }

    /// <summary>
    /// The run the appliance makes when staff press on the cards, without the presses: the white
    /// card and then the built-in target, both rings, rendered through <paramref name="optics"/>.
    /// </summary>
    /// <param name="time">The clock the run and its profile are dated by (the system's if none).</param>
    public static (CalibrationProfile? Profile, string? Refusal) Run(
        SimulatedOptics optics, ApplianceIdentity identity, CalibrationOptions options, int width = Width, int height = Height, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(optics);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var sheet = TargetSheet.Default();
        CapturedFrame[] Shots(Func<SimulatedOptics, TargetSheet, LightingMode, int, int, byte[]> render) =>
            [.. CaptureSequencer.Order.Select(ring => new CapturedFrame(ring, width, height, CapturedFrame.Rgb24, render(optics, sheet, ring, width, height)))];
        using var run = new CalibrationRun(new CalibrationRequest("simulated", now, now.AddMinutes(1)));
        return run.TakeWhite(Shots(SimulatedTarget.RenderWhite)) is { } unusable
            ? (null, unusable)
            : run.Finish(Shots(SimulatedTarget.RenderTarget), sheet, options, identity, now);
    }
}
