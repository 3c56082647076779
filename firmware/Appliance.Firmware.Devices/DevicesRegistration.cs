using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Device.Pwm;
using Appliance.Calibration;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Screen;
using Appliance.Firmware.Devices.Simulated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices;

public static class DevicesRegistration
{
    /// <summary>Where the configured cameras leave plaintext frames for milliseconds: swept at start and at a wipe.</summary>
    public static IReadOnlyList<string> ScratchFolders(IConfiguration configuration) =>
        [.. new[] { RpicamOptions.Section, V4l2Options.Section }
            .Select(section => configuration.GetSection(section)["ScratchFolder"] ?? "/dev/shm")
            .Distinct()];

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
        builder.Services.AddOptions<RingDriveOptions>().Bind(builder.Configuration.GetSection(RingDriveOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        if (mode == DevicesMode.Simulated)
        {
            builder.Services.AddSingleton<SimulatedGpioDriver>();
            builder.Services.AddSingleton(sp => new GpioController(sp.GetRequiredService<SimulatedGpioDriver>()));
            builder.Services.AddSingleton<SimulatedCamera>();
            builder.Services.AddSingleton<ICamera>(sp => sp.GetRequiredService<SimulatedCamera>());
            builder.Services.AddSingleton<SimulatedOverviewCamera>();
            builder.Services.AddSingleton<IOverviewCamera>(sp => sp.GetRequiredService<SimulatedOverviewCamera>());
            // The simulated camera module's characterisation is the simulator's own, unless configured.
            builder.Services.AddOptions<CalibrationOptions>().PostConfigure<SimulatedCamera>((o, camera) => o.CameraToSrgb ??= camera.Optics.MeasuredCharacterisation(TargetSheet.Default()));
            builder.Services.AddSingleton<PwmChannelFactory>(sp =>
                (_, _, frequency, pin) => new SimulatedPwmChannel(sp.GetRequiredService<SimulatedGpioDriver>(), pin, frequency));
            var dataFolder = builder.Configuration["Firmware:DataFolder"] ?? "/var/lib/appliance";
            builder.Services.AddSingleton(sp => new SimulatedControlPanel(
                sp.GetRequiredService<SimulatedGpioDriver>(), sp.GetRequiredService<SimulatedCamera>(), sp.GetRequiredService<IOptions<PinMapOptions>>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetService<SimulatedSpiDisplay>(), Path.Combine(dataFolder, "screen.bmp")));
            if (section.GetValue(nameof(DevicesOptions.ManualControls), true))
            {
                // Someone's hands on a simulated appliance run as its own process: the terminal and the control socket.
                var socket = section[nameof(DevicesOptions.ControlSocket)] is { Length: > 0 } configured
                    ? configured
                    : Path.Combine(dataFolder, "control.sock");
                builder.Services.AddHostedService(sp => new SimulatedControlSocket(socket, sp.GetRequiredService<SimulatedControlPanel>(), sp.GetRequiredService<ILogger<SimulatedControlSocket>>()));
                builder.Services.AddHostedService<SimulatedTerminal>();
            }
        }
        else
        {
            // libgpiod on the configured chip, on a Pi 4 and a Pi 5 alike (Program checks the chip is there first).
            builder.Services.AddSingleton(sp => new GpioController(new LibGpiodDriver(sp.GetRequiredService<IOptions<PinMapOptions>>().Value.Chip)));
            if (section.GetValue(nameof(DevicesOptions.Camera), CameraBackend.Rpicam) == CameraBackend.V4l2)
            {
                builder.Services.AddOptions<V4l2Options>().Bind(builder.Configuration.GetSection(V4l2Options.Section))
                    .ValidateDataAnnotations().ValidateOnStart();
                builder.Services.AddSingleton<ICamera, V4l2Camera>();
            }
            else
            {
                builder.Services.AddOptions<RpicamOptions>().Bind(builder.Configuration.GetSection(RpicamOptions.Section))
                    .ValidateDataAnnotations().ValidateOnStart();
                builder.Services.AddSingleton<ICamera, RpicamCamera>();
            }
            if (builder.Configuration.GetSection(OverviewOptions.Section).GetValue<int?>(nameof(OverviewOptions.CameraIndex)) is { } overviewIndex)
            {
                // The overview camera on its own port: rpicam-still with the same settings but its index.
                builder.Services.AddSingleton<IOverviewCamera>(sp =>
                {
                    var rpicam = builder.Configuration.GetSection(RpicamOptions.Section).Get<RpicamOptions>() ?? new RpicamOptions();
                    rpicam.CameraIndex = overviewIndex;
                    return new RpicamOverviewCamera(new RpicamCamera(Options.Create(rpicam), sp.GetRequiredService<FrameBufferPool>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RpicamCamera>>()));
                });
            }

            // sysfs PWM (the pwm-2chan overlay); Program checks the chip and its channels are there first.
            builder.Services.AddSingleton<PwmChannelFactory>(_ =>
                (chip, channel, frequency, _) => PwmChannel.Create(chip, channel, frequency, 0));
        }

        // The overview step exists only where there is an overview camera; without it a job's overview is skipped with a warning.
        if (builder.Services.Any(d => d.ServiceType == typeof(IOverviewCamera)))
        {
            builder.Services.AddSingleton<OverviewStep>();
        }

        builder.Services.AddSingleton(CreateIlluminator);
        builder.Services.AddSingleton<IIlluminator>(sp => sp.GetRequiredService<GpioIlluminator>());
        builder.Services.AddSingleton<GpioTriggerButton>();
        builder.Services.AddSingleton<ITriggerButton>(sp => sp.GetRequiredService<GpioTriggerButton>());
        var buzzerPin = builder.Configuration.GetSection(PinMapOptions.Section).GetValue<int?>(nameof(PinMapOptions.BuzzerPin));
        if (buzzerPin is { } pin)
        {
            builder.Services.AddSingleton(sp => new GpioBuzzer(sp.GetRequiredService<GpioController>(), pin, sp.GetRequiredService<TimeProvider>()));
        }

        builder.Services.AddSingleton<GpioStatusIndicator>();
        builder.Services.AddSingleton<IStatusIndicator>(sp => sp.GetRequiredService<GpioStatusIndicator>());
        builder.AddApplianceScreen(mode);
        builder.Services.AddSingleton(sp =>
        {
            var capture = sp.GetRequiredService<IOptions<CaptureOptions>>().Value;
            return new DeviceSelfTest(
                mode,
                DeviceParts.From(sp.GetRequiredService<IConfiguration>()),
                sp.GetRequiredService<IOptions<PinMapOptions>>().Value,
                sp.GetRequiredService<IOptions<RingDriveOptions>>().Value,
                new DeviceSelfTest.Factories(
                    sp.GetRequiredService<GpioController>,
                    sp.GetRequiredService<PwmChannelFactory>(),
                    sp.GetRequiredService<ICamera>,
                    sp.GetRequiredService<IIlluminator>,
                    sp.GetService<IOverviewCamera>() is null ? null : sp.GetRequiredService<IOverviewCamera>,
                    sp.GetRequiredService<IOptions<OverviewOptions>>().Value.ToCameraSettings(),
                    sp.GetRequiredService<IOptions<ScreenOptions>>().Value.Enabled ? sp.GetRequiredService<IScreenPanel> : null),
                capture.ToCameraSettings(),
                capture.MaxRingOnTime,
                sp.GetRequiredService<TimeProvider>());
        });
        return builder;
    }

    /// <summary>Each ring on its PWM channel if one is configured, else on its GPIO pin.</summary>
    private static GpioIlluminator CreateIlluminator(IServiceProvider services)
    {
        var rings = services.GetRequiredService<IOptions<RingDriveOptions>>().Value;
        var pins = services.GetRequiredService<IOptions<PinMapOptions>>().Value;
        IRingOutput Output(int pin, int? channel, double brightness) => channel is { } c
            ? new PwmRingOutput(services.GetRequiredService<PwmChannelFactory>()(rings.PwmChip, c, rings.PwmFrequencyHz, pin), brightness)
            : new GpioRingOutput(services.GetRequiredService<GpioController>(), pin);
        return new GpioIlluminator(
            Output(pins.CrossPolarisedRingPin, rings.CrossPolarisedPwmChannel, rings.CrossPolarisedBrightness),
            Output(pins.NonPolarisedRingPin, rings.NonPolarisedPwmChannel, rings.NonPolarisedBrightness));
    }
}
