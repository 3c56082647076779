using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Integrity;
using Appliance.Firmware.Storage;
using Appliance.Firmware.Uplink;
using Appliance.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware;

public static class FirmwareRegistration
{
    /// <summary>
    /// The whole appliance. Used by <c>Program</c> on the Pi and, unchanged, by the demo and the
    /// end-to-end tests with <c>Devices:Mode=Simulated</c>.
    /// </summary>
    public static IHostApplicationBuilder AddApplianceFirmware(this IHostApplicationBuilder builder)
    {
        var (dataFolder, bundlePath, _) = FirmwarePaths.From(builder.Configuration);
        // Owner-only from birth, and whatever an older version or a restore left looser is tightened.
        OwnerOnlyFiles.RestrictNewFiles();
        OwnerOnlyFiles.Tighten(dataFolder);
        // The admin's settings from the bundle (pin map, camera, lease…) sit below everything
        // configured on the appliance itself, so a local file can still correct one.
        var fromBundle = ProvisioningBundleLoader.Settings(bundlePath);
        if (fromBundle.Count > 0)
        {
            builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = fromBundle });
        }

        builder.Services.AddSingleton(_ => ProvisioningBundleLoader.Load(bundlePath));
        builder.Services.AddSingleton(sp =>
        {
            var bundle = sp.GetRequiredService<ProvisioningBundle>();
            var identity = new ApplianceIdentity(
                bundle.DeviceId,
                ApplianceIdentity.CurrentFirmwareVersion,
                Convert.FromBase64String(bundle.HostSealingPublicKey),
                Convert.FromBase64String(bundle.SigningPrivateKey));
            _ = identity.SigningPublicKey; // taken now, while the private half is certainly there
            return identity;
        });
        builder.Services.AddSingleton(sp => UplinkCredentials.FromBundle(sp.GetRequiredService<ProvisioningBundle>()));

        // Camera scratch folders hold plaintext frames for milliseconds; a crash can leave one behind.
        var scratchFolders = new[] { RpicamOptions.Section, V4l2Options.Section }
            .Select(section => builder.Configuration.GetSection(section)["ScratchFolder"] ?? "/dev/shm")
            .Distinct()
            .ToArray();
        builder.Services.AddSingleton(new WipePaths(dataFolder, bundlePath, scratchFolders));
        builder.Services.AddSingleton<CryptoEraser>();
        builder.Services.AddSingleton<IApplianceEraser>(sp => sp.GetRequiredService<CryptoEraser>());
        builder.Services.AddSingleton<WipeSignal>();
        builder.Services.AddOptions<LeaseOptions>().Bind(builder.Configuration.GetSection(LeaseOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CalibrationOptions>().Bind(builder.Configuration.GetSection(CalibrationOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<ApplianceWipeService>();
        builder.Services.AddSingleton<DeadManLease>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadManLease>());
        builder.Services.AddHostedService<ScratchSweeper>();
        // First among the hosted services, so the checks have run before anything can arm.
        builder.Services.AddOptions<IntegrityOptions>().Bind(builder.Configuration.GetSection(IntegrityOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OsIntegrityMonitor>();
        builder.Services.AddSingleton<ISystemIntegrity>(sp => sp.GetRequiredService<OsIntegrityMonitor>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OsIntegrityMonitor>());

        builder.AddApplianceCore();
        builder.AddApplianceDevices();
        builder.AddApplianceStorage(dataFolder, sp => sp.GetRequiredService<ProvisioningBundle>().StoreSecret);
        builder.AddApplianceUplink();
        builder.Services.AddSystemd();
        builder.Services.AddHostedService<SystemdWatchdog>();
        return builder;
    }
}
