using Appliance.Firmware.Core;
using Appliance.Firmware.Storage.Wipe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Storage;

public static class StorageRegistration
{
    /// <summary>
    /// Everything the appliance keeps in its data folder: the sealed-series store, the
    /// calibration profile and the host-order ledger. <paramref name="dataFolder"/> anchors a
    /// relative path; <paramref name="secret"/> yields the device's store secret (from its bundle,
    /// never from configuration).
    /// </summary>
    public static IHostApplicationBuilder AddApplianceStorage(this IHostApplicationBuilder builder, string dataFolder, Func<IServiceProvider, string> secret)
    {
        builder.Services.AddOptions<StoreOptions>().Bind(builder.Configuration.GetSection(StoreOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            return new LiteDbSeriesStore(Path.Combine(dataFolder, options.Path), secret(sp), options);
        });
        builder.Services.AddSingleton<ISeriesStore>(sp => sp.GetRequiredService<LiteDbSeriesStore>());
        builder.Services.AddSingleton<IClosableSeriesStore>(sp => sp.GetRequiredService<LiteDbSeriesStore>());
        builder.Services.AddSingleton<IHostOrderLedger>(sp => new FileHostOrderLedger(dataFolder, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new FileCalibrationStore(dataFolder, sp.GetRequiredService<ApplianceIdentity>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<FileCalibrationStore>>()));
        builder.Services.AddSingleton<ICalibrationState>(sp => sp.GetRequiredService<FileCalibrationStore>());
        builder.Services.AddSingleton<ICalibrationStore>(sp => sp.GetRequiredService<FileCalibrationStore>());
        return builder;
    }

    /// <summary>
    /// Crypto-erase and the service that carries out a decided wipe (finishing one a power cut
    /// interrupted first). <see cref="WipePaths"/> must be registered by the composition: the
    /// camera's scratch folders are the devices' configuration.
    /// </summary>
    public static IHostApplicationBuilder AddApplianceWipe(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<WipeSignal>();
        builder.Services.AddSingleton<CryptoEraser>();
        builder.Services.AddSingleton<IApplianceEraser>(sp => sp.GetRequiredService<CryptoEraser>());
        builder.Services.AddHostedService<ApplianceWipeService>();
        return builder;
    }
}
