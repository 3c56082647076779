using System.Device.Spi;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Screen;
using Iot.Device.Board;

namespace Appliance.Firmware.Devices;

/// <summary>
/// The pin map against what the Pi's <c>config.txt</c> gives to its buses, read by the binding's
/// <see cref="RaspberryPiBoard"/>: each ring on a PWM channel must be on the pin that channel's
/// overlay puts it on; the screen needs SPI turned on; and no line the firmware drives as GPIO
/// (button, status LED, buzzer, the screen's data/command, reset and backlight, a ring without
/// PWM) may be one that SPI, I2C or a PWM overlay has taken. One sentence per problem.
/// </summary>
public sealed class BoardPins(PinMapOptions pins, RingDriveOptions rings, ScreenOptions screen, string? configFile)
{
    /// <summary>Raspberry Pi OS's config.txt: Bookworm's place first, then the older one.</summary>
    public static readonly string[] ConfigFiles = ["/boot/firmware/config.txt", "/boot/config.txt"];

    public IReadOnlyList<string> Conflicts()
    {
        var file = configFile ?? ConfigFiles.FirstOrDefault(File.Exists);
        if (file is null || !File.Exists(file))
        {
            return [$"Board: there is no config.txt ({configFile ?? string.Join(" or ", ConfigFiles)}; Devices:BootConfig), so the pin map cannot be checked against the buses it turns on."];
        }

        using var board = new RaspberryPiBoard { ConfigurationFile = file };
        var problems = new List<string>();
        var taken = new Dictionary<int, string>();
        void Take(IEnumerable<int> lines, string bus)
        {
            foreach (var line in lines.Where(l => l >= 0))
            {
                taken.TryAdd(line, bus);
            }
        }

        if (board.IsI2cActivated())
        {
            Take(board.GetOverlayPinAssignmentForI2c(1), "I2C");
        }

        if (screen.Enabled)
        {
            var spi = board.GetOverlayPinAssignmentForSpi(new SpiConnectionSettings(screen.SpiBus, screen.ChipSelect));
            if (spi.Length == 0)
            {
                problems.Add($"Board: config.txt does not turn SPI on, which the screen needs (add dtparam=spi=on, hardware/README.md), or set Screen:Enabled to false.");
            }

            Take(spi, $"SPI{screen.SpiBus}");
        }

        foreach (var (ring, channel, pin) in new[] { ("cross-polarised ring", rings.CrossPolarisedPwmChannel, pins.CrossPolarisedRingPin), ("non-polarised ring", rings.NonPolarisedPwmChannel, pins.NonPolarisedRingPin) })
        {
            if (channel is not { } c)
            {
                continue;
            }

            var overlay = Overlay(board, c);
            if (overlay != pin)
            {
                problems.Add(overlay < 0
                    ? $"Board: config.txt puts PWM{c} on no pin, but the {ring} is on PWM{c} at GPIO{pin} (add the pwm-2chan overlay, hardware/README.md)."
                    : $"Board: config.txt puts PWM{c} on GPIO{overlay}, but the {ring} is wired to GPIO{pin} (Gpio pin map and the overlay's pins must agree).");
            }

        }

        // Both channels of a PWM overlay take their pins, whether or not a ring uses them.
        foreach (var c in new[] { 0, 1 })
        {
            Take([Overlay(board, c)], $"PWM{c}");
        }

        foreach (var (name, line) in GpioLines())
        {
            if (taken.TryGetValue(line, out var bus))
            {
                problems.Add($"Board: GPIO{line} is both the {name} and part of {bus} in config.txt; move one of them (hardware/README.md has the pin map).");
            }
        }

        return problems;
    }

    /// <summary>The PWM overlay's pin for a channel, or −1; an overlay naming an impossible pin counts as none.</summary>
    private static int Overlay(RaspberryPiBoard board, int channel)
    {
        try
        {
            return board.GetOverlayPinAssignmentForPwm(channel);
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }

    /// <summary>Every line the firmware drives or reads as plain GPIO.</summary>
    private IEnumerable<(string Name, int Line)> GpioLines()
    {
        yield return ("capture button", pins.CaptureButtonPin);
        yield return ("status LED's red", pins.StatusRedPin);
        yield return ("status LED's green", pins.StatusGreenPin);
        yield return ("status LED's blue", pins.StatusBluePin);
        if (pins.BuzzerPin is { } buzzer)
        {
            yield return ("buzzer", buzzer);
        }

        if (rings.CrossPolarisedPwmChannel is null)
        {
            yield return ("cross-polarised ring", pins.CrossPolarisedRingPin);
        }

        if (rings.NonPolarisedPwmChannel is null)
        {
            yield return ("non-polarised ring", pins.NonPolarisedRingPin);
        }

        if (screen.Enabled)
        {
            yield return ("screen's data/command line", screen.DataCommandPin);
            yield return ("screen's reset line", screen.ResetPin);
            yield return ("screen's backlight line", screen.BacklightPin);
        }
    }
}
