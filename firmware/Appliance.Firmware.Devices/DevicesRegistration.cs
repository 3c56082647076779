using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Devices;

public static class DevicesRegistration
{
    /// <summary>
    /// Registers the hardware seams. <c>Devices:Mode</c> picks real or simulated implementations
    /// here and nowhere else, so the rest of the firmware never knows which it runs on.
    /// </summary>
    public static IHostApplicationBuilder AddApplianceDevices(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(DevicesOptions.Section);
        var mode = section.GetValue(nameof(DevicesOptions.Mode), DevicesMode.Simulated);
        builder.Services.AddOptions<DevicesOptions>().Bind(section);
        builder.Services.AddOptions<PinMapOptions>().Bind(builder.Configuration.GetSection(PinMapOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        if (mode == DevicesMode.Simulated)
        {
            builder.Services.AddSingleton<SimulatedGpioDriver>();
            builder.Services.AddSingleton(sp => new GpioController(sp.GetRequiredService<SimulatedGpioDriver>()));
            builder.Services.AddSingleton<SimulatedCamera>();
            builder.Services.AddSingleton<ICamera>(sp => sp.GetRequiredService<SimulatedCamera>());
        }
        else
        {
            // libgpiod on Pi 4 and Pi 5; throws at first use where there is no gpiochip.
            builder.Services.AddSingleton(_ => new GpioController());
            builder.Services.AddOptions<RpicamOptions>().Bind(builder.Configuration.GetSection(RpicamOptions.Section))
                .ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton<ICamera, RpicamCamera>();
        }

        builder.Services.AddSingleton<GpioIlluminator>();
        builder.Services.AddSingleton<IIlluminator>(sp => sp.GetRequiredService<GpioIlluminator>());
        builder.Services.AddSingleton<GpioTriggerButton>();
        builder.Services.AddSingleton<ITriggerButton>(sp => sp.GetRequiredService<GpioTriggerButton>());
        builder.Services.AddSingleton<GpioStatusIndicator>();
        builder.Services.AddSingleton<IStatusIndicator>(sp => sp.GetRequiredService<GpioStatusIndicator>());
        return builder;
    }
}
