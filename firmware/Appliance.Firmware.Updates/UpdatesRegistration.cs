using Appliance.Firmware.Core;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Updates;

public static class UpdatesRegistration
{
    /// <summary>
    /// Updates over the host link and the health gate of a release on trial. The caller registers
    /// the <see cref="ReleaseKeySet"/> the appliance was enrolled with (the bundle's release keys).
    /// </summary>
    public static IHostApplicationBuilder AddApplianceUpdates(this IHostApplicationBuilder builder)
    {
        var options = UpdateOptions.From(builder.Configuration);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ReleaseLayout(options.Root));
        builder.Services.AddSingleton(sp => new ReleaseKeyRing(sp.GetRequiredService<ReleaseKeySet>(), options.Root));
        builder.Services.AddSingleton<UpdateReports>();
        builder.Services.AddSingleton<ReleaseHealthGate>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReleaseHealthGate>());
        builder.Services.AddSingleton<UpdateAgent>();
        builder.Services.AddSingleton<IFirmwareUpdates>(sp => sp.GetRequiredService<UpdateAgent>());
        return builder;
    }
}
