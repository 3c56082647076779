using Appliance.Firmware.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Uplink;

public static class UplinkRegistration
{
    /// <summary>
    /// The MQTT link and its loops, and the handler of what the host sends;
    /// <see cref="UplinkCredentials"/> must be registered by the caller (from the bundle).
    /// </summary>
    public static IHostApplicationBuilder AddApplianceUplink(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UplinkOptions>().Bind(builder.Configuration.GetSection(UplinkOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => new HostSigningKey(sp.GetRequiredService<UplinkCredentials>().HostSigningPublicKey));
        builder.Services.AddSingleton<TransferProgressBoard>();
        builder.Services.AddSingleton<HostMessageHandler>();
        builder.Services.AddSingleton<BrokerLink>();
        builder.Services.AddSingleton<StatusPublisher>();
        builder.Services.AddSingleton<SeriesUploader>();
        builder.Services.AddSingleton<UploadScheduler>();
        builder.Services.AddSingleton<WipeReporter>();
        builder.Services.AddSingleton<MqttUplinkService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttUplinkService>());
        return builder;
    }
}
