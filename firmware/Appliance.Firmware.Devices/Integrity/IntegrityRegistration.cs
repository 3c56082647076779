using Appliance.Firmware.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Devices.Integrity;

public static class IntegrityRegistration
{
    /// <summary>The operating system's integrity checks, run at start and on a schedule; the capture refuses to arm while one fails.</summary>
    public static IHostApplicationBuilder AddOsIntegrityMonitor(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IntegrityOptions>().Bind(builder.Configuration.GetSection(IntegrityOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OsIntegrityMonitor>();
        builder.Services.AddSingleton<ISystemIntegrity>(sp => sp.GetRequiredService<OsIntegrityMonitor>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OsIntegrityMonitor>());
        return builder;
    }
}
