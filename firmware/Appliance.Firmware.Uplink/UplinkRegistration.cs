using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Uplink;

public static class UplinkRegistration
{
    /// <summary>The MQTT link; <see cref="UplinkCredentials"/> must be registered by the caller (from the bundle).</summary>
    public static IHostApplicationBuilder AddApplianceUplink(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UplinkOptions>().Bind(builder.Configuration.GetSection(UplinkOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TransferProgressBoard>();
        builder.Services.AddSingleton<SeriesUploader>();
        builder.Services.AddSingleton<DeviceMessageHandler>();
        builder.Services.AddSingleton<MqttUplinkService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttUplinkService>());
        return builder;
    }
}
