using System.Runtime.InteropServices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Microsoft.Extensions.Configuration;

namespace Appliance.Firmware.Devices;

/// <summary>
/// What a real appliance needs before anything is opened: the gpiochip and libgpiod, the PWM
/// chip and its channels, the camera tool (and the V4L2 device), the screen's SPI device, and a
/// pin map that agrees with the buses config.txt turns on (<see cref="BoardPins"/>). Read from the file system
/// only, so that a Pi set up wrongly hears one sentence per missing part, each naming the
/// setting or package that fixes it, instead of a stack trace from the first driver that fails.
/// </summary>
public sealed class DeviceParts(
    DevicesOptions devices,
    PinMapOptions pins,
    RingDriveOptions rings,
    RpicamOptions rpicam,
    V4l2Options v4l2,
    Func<bool> libgpiodLoads,
    BoardPins? board = null,
    Screen.ScreenOptions? screen = null)
{
    /// <summary>The sonames System.Device.Gpio's libgpiod drivers load: libgpiod 2 and libgpiod 1.</summary>
    private static readonly string[] LibgpiodNames = ["libgpiod.so.3", "libgpiod.so.2", "libgpiod.so.1"];

    /// <summary>The parts as configured, with libgpiod looked for where the runtime would look.</summary>
    public static DeviceParts From(IConfiguration configuration) => new(
        Bind<DevicesOptions>(configuration, DevicesOptions.Section),
        Bind<PinMapOptions>(configuration, PinMapOptions.Section),
        Bind<RingDriveOptions>(configuration, RingDriveOptions.Section),
        Bind<RpicamOptions>(configuration, RpicamOptions.Section),
        Bind<V4l2Options>(configuration, V4l2Options.Section),
        () => LibgpiodNames.Any(name =>
        {
            if (!NativeLibrary.TryLoad(name, out var handle))
            {
                return false;
            }

            NativeLibrary.Free(handle);
            return true;
        }),
        new BoardPins(
            Bind<PinMapOptions>(configuration, PinMapOptions.Section),
            Bind<RingDriveOptions>(configuration, RingDriveOptions.Section),
            Bind<Screen.ScreenOptions>(configuration, Screen.ScreenOptions.Section),
            Bind<DevicesOptions>(configuration, DevicesOptions.Section).BootConfig),
        Bind<Screen.ScreenOptions>(configuration, Screen.ScreenOptions.Section));

    /// <summary>The GPIO chip's device node, as configured.</summary>
    public string GpioChipPath => Path.Combine(devices.DevRoot, $"gpiochip{pins.Chip}");

    /// <summary>The PWM chip's sysfs folder, as configured.</summary>
    public string PwmChipPath => Path.Combine(devices.SysRoot, "class", "pwm", $"pwmchip{rings.PwmChip}");

    /// <summary>The camera tool the configured backend runs.</summary>
    public string CameraTool => devices.Camera == CameraBackend.V4l2 ? v4l2.Executable : rpicam.Executable;

    /// <summary>One sentence per missing part; empty when everything the configuration names is there.</summary>
    public IReadOnlyList<string> Missing() => [.. MissingGpio(), .. MissingPwm(), .. MissingCamera(), .. MissingScreen(), .. BoardConflicts()];

    /// <summary>Where the pin map and config.txt disagree (nothing to check without a board check).</summary>
    public IReadOnlyList<string> BoardConflicts() => board?.Conflicts() ?? [];

    /// <summary>Each ring that is on hardware PWM: its name and channel.</summary>
    public IEnumerable<(string Ring, int Channel)> PwmRings()
    {
        if (rings.CrossPolarisedPwmChannel is { } cross)
        {
            yield return ("cross-polarised ring", cross);
        }

        if (rings.NonPolarisedPwmChannel is { } non)
        {
            yield return ("non-polarised ring", non);
        }
    }

    /// <summary>The camera tool's full path if it can be run: an absolute path that exists, or a name found on PATH.</summary>
    public string? ResolveCameraTool()
    {
        var tool = CameraTool;
        if (tool.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(tool) ? tool : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, tool))
            .FirstOrDefault(File.Exists);
    }

    public IReadOnlyList<string> MissingGpio() => [.. Gpio()];

    public IReadOnlyList<string> MissingPwm() => [.. Pwm()];

    public IReadOnlyList<string> MissingCamera() => [.. Camera()];

    /// <summary>The screen's SPI device, when the screen is on.</summary>
    public IReadOnlyList<string> MissingScreen() =>
        screen is { Enabled: true } s && !File.Exists(Path.Combine(devices.DevRoot, $"spidev{s.SpiBus}.{s.ChipSelect}"))
            ? [$"Screen: there is no {Path.Combine(devices.DevRoot, $"spidev{s.SpiBus}.{s.ChipSelect}")} (Screen:SpiBus {s.SpiBus}, Screen:ChipSelect {s.ChipSelect}); add dtparam=spi=on to config.txt, or set Screen:Enabled to false."]
            : [];

    private IEnumerable<string> Gpio()
    {
        if (!File.Exists(GpioChipPath))
        {
            var present = Directory.Exists(devices.DevRoot)
                ? Directory.EnumerateFileSystemEntries(devices.DevRoot, "gpiochip*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
                : [];
            yield return $"GPIO: there is no {GpioChipPath} (Gpio:Chip is {pins.Chip}); this machine has "
                + (present.Count == 0 ? "no GPIO chip at all" : string.Join(", ", present))
                + ". `gpioinfo` shows which chip has GPIO17: 0 on a Pi 4 and a current Pi 5, 4 on a Pi 5 with an older kernel.";
        }

        if (!libgpiodLoads())
        {
            yield return "GPIO: libgpiod is not installed (apt install libgpiod2).";
        }
    }

    private IEnumerable<string> Pwm()
    {
        var wanted = PwmRings().ToList();
        if (wanted.Count == 0)
        {
            yield break;
        }

        if (!Directory.Exists(PwmChipPath))
        {
            yield return $"PWM: there is no {PwmChipPath} (Rings:PwmChip is {rings.PwmChip}) for the "
                + string.Join(" and ", wanted.Select(w => $"{w.Ring}'s channel {w.Channel}"))
                + ". Add the pwm-2chan overlay to config.txt (hardware/README.md), or remove Rings:CrossPolarisedPwmChannel and Rings:NonPolarisedPwmChannel to drive the rings as plain GPIO.";
            yield break;
        }

        var channels = int.TryParse(ReadOrNull(Path.Combine(PwmChipPath, "npwm")), out var n) ? n : 0;
        foreach (var (ring, channel) in wanted.Where(w => w.Channel >= channels))
        {
            yield return $"PWM: pwmchip{rings.PwmChip} has {channels} channel{(channels == 1 ? string.Empty : "s")}, so the {ring}'s channel {channel} is not there; check the overlay's pins or Rings:PwmChip.";
        }
    }

    private IEnumerable<string> Camera()
    {
        if (ResolveCameraTool() is null)
        {
            yield return devices.Camera == CameraBackend.V4l2
                ? $"Camera: {v4l2.Executable} is not installed or not on PATH (apt install v4l-utils), or set V4l2:Executable."
                : $"Camera: {rpicam.Executable} is not installed or not on PATH (apt install rpicam-apps), or set Rpicam:Executable.";
        }

        if (devices.Camera == CameraBackend.V4l2 && !File.Exists(v4l2.Device))
        {
            yield return $"Camera: there is no {v4l2.Device} (V4l2:Device): is the USB camera plugged in? `v4l2-ctl --list-devices` lists the cameras.";
        }
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }
}
