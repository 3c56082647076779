using System.Device.Gpio;
using System.Device.Spi;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Simulated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Screen;

public static class ScreenRegistration
{
    /// <summary>
    /// The screen, when <c>Screen:Enabled</c>: the ILI9341 on SPI (simulated: the same driver into
    /// <see cref="SimulatedSpiDisplay"/>), the preview of the mode's cameras, and the arbiter that
    /// stops the preview for every capture.
    /// </summary>
    public static void AddApplianceScreen(this IHostApplicationBuilder builder, DevicesMode mode)
    {
        var section = builder.Configuration.GetSection(ScreenOptions.Section);
        builder.Services.AddOptions<ScreenOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        if (!section.GetValue(nameof(ScreenOptions.Enabled), false))
        {
            return;
        }

        builder.Services.AddSingleton<CameraArbiter>();
        builder.Services.AddSingleton<IPreviewSuspension>(sp => sp.GetRequiredService<CameraArbiter>());
        if (mode == DevicesMode.Simulated)
        {
            builder.Services.AddSingleton(sp =>
            {
                var o = sp.GetRequiredService<IOptions<ScreenOptions>>().Value;
                return new SimulatedSpiDisplay(sp.GetRequiredService<GpioController>(), o.DataCommandPin, o.BacklightPin, o.ClockHz);
            });
            builder.Services.AddSingleton<IScreenPanel>(sp => new Ili9341Panel(sp.GetRequiredService<SimulatedSpiDisplay>(), sp.GetRequiredService<GpioController>(), sp.GetRequiredService<IOptions<ScreenOptions>>().Value));
            builder.Services.AddSingleton<IPreviewSource, SimulatedPreviewSource>();
        }
        else
        {
            builder.Services.AddSingleton<IScreenPanel>(sp =>
            {
                var o = sp.GetRequiredService<IOptions<ScreenOptions>>().Value;
                var spi = SpiDevice.Create(new SpiConnectionSettings(o.SpiBus, o.ChipSelect) { ClockFrequency = o.ClockHz, Mode = Iot.Device.Ili934x.Ili9341.DefaultSpiMode });
                return new Ili9341Panel(spi, sp.GetRequiredService<GpioController>(), o);
            });
            builder.Services.AddSingleton<RpicamPreviewSource>();
            builder.Services.AddSingleton<IPreviewSource>(sp => sp.GetRequiredService<IOptions<DevicesOptions>>().Value.Camera == CameraBackend.V4l2
                ? new V4l2PreviewSource(sp.GetRequiredService<IOptions<V4l2Options>>(), sp.GetRequiredService<RpicamPreviewSource>(), sp.GetRequiredService<TimeProvider>())
                : sp.GetRequiredService<RpicamPreviewSource>());
        }

        builder.Services.AddSingleton<ScreenService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ScreenService>());
    }
}
