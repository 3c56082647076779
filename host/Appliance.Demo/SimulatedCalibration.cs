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
        var sheet = TargetSheet.Default();
        var optics = new SimulatedOptics();
        RingProfile Calibrate(LightingMode ring) => CalibrationProfiles.ToRingProfile(ring, CalibrationFitter.Fit(
            SimulatedTarget.RenderWhite(optics, sheet, ring, Width, Height), SimulatedTarget.RenderTarget(optics, sheet, ring, Width, Height), Width, Height, sheet));
        var profile = CalibrationProfiles.Create(
            bundle.DeviceId, sheet, [Calibrate(LightingMode.CrossPolarised), Calibrate(LightingMode.NonPolarised)], DateTimeOffset.UtcNow, validity, identity.SigningPrivateKey);
        new FileCalibrationStore(dataFolder, identity).Save(profile);
        return profile;
    }
}
