using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Integrity;
using Appliance.Firmware.Storage;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Firmware.Updates;
using Appliance.Firmware.Uplink;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware;

public static class FirmwareRegistration
{
    /// <summary>
    /// The whole appliance. Used by <c>Program</c> on the Pi and, unchanged, by the demo and the
    /// end-to-end tests with <c>Devices:Mode=Simulated</c>. Each project registers what it owns;
    /// this only joins them to the provisioning bundle.
    /// </summary>
    public static IHostApplicationBuilder AddApplianceFirmware(this IHostApplicationBuilder builder)
    {
        var (dataFolder, bundlePath, _) = FirmwarePaths.From(builder.Configuration);
        // Owner-only from birth, and whatever an older version or a restore left looser is tightened.
        OwnerOnlyFiles.RestrictNewFiles();
        OwnerOnlyFiles.Tighten(dataFolder);
        AddBundleSettings(builder.Configuration, bundlePath);
        builder.Services.AddSingleton(_ => ProvisioningBundleLoader.Load(bundlePath));
        builder.Services.AddSingleton(sp =>
        {
            var bundle = sp.GetRequiredService<ProvisioningBundle>();
            var identity = new ApplianceIdentity(
                bundle.DeviceId,
                // Installed from a release package, the firmware is the version its manifest says.
                ReleaseLayout.VersionIn(AppContext.BaseDirectory) ?? ApplianceIdentity.CurrentFirmwareVersion,
                Convert.FromBase64String(bundle.HostSealingPublicKey),
                Convert.FromBase64String(bundle.SigningPrivateKey));
            _ = identity.SigningPublicKey; // taken now, while the private half is certainly there
            return identity;
        });
        builder.Services.AddSingleton(sp => UplinkCredentials.FromBundle(sp.GetRequiredService<ProvisioningBundle>()));
        builder.Services.AddSingleton(new WipePaths(dataFolder, bundlePath, DevicesRegistration.ScratchFolders(builder.Configuration)));
        builder.Services.AddOptions<CalibrationOptions>().Bind(builder.Configuration.GetSection(CalibrationOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        // A wipe interrupted by a power cut is finished before anything else starts.
        builder.AddApplianceWipe();
        builder.AddDeadManLease();
        // Camera scratch folders hold plaintext frames for milliseconds; a crash can leave one behind.
        builder.Services.AddHostedService<ScratchSweeper>();
        // First among the other hosted services, so the checks have run before anything can arm.
        builder.AddOsIntegrityMonitor();

        builder.AddApplianceCore();
        builder.AddApplianceDevices();
        builder.AddApplianceStorage(dataFolder, sp => sp.GetRequiredService<ProvisioningBundle>().StoreSecret);
        builder.AddApplianceUplink();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<ProvisioningBundle>().ReleaseAnchors());
        builder.AddApplianceUpdates();
        builder.Services.AddSystemd();
        builder.Services.AddHostedService<SystemdWatchdog>();
        return builder;
    }

    /// <summary>
    /// The admin's settings from the bundle (pin map, camera, lease…): above the defaults shipped
    /// in <c>appsettings.json</c>, below everything configured on the appliance itself
    /// (<c>appsettings.{Environment}.json</c>, the environment, the command line), so a local
    /// setting can still correct one.
    /// </summary>
    public static void AddBundleSettings(IConfigurationManager configuration, string bundlePath)
    {
        var fromBundle = ProvisioningBundleLoader.Settings(bundlePath);
        if (fromBundle.Count == 0)
        {
            return;
        }

        var shipped = configuration.Sources
            .Select((source, index) => (source, index))
            .LastOrDefault(s => s.source is FileConfigurationSource { Path: "appsettings.json" });
        configuration.Sources.Insert(shipped.source is null ? 0 : shipped.index + 1, new MemoryConfigurationSource { InitialData = fromBundle });
    }
}
