using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Simulated;

/// <summary>
/// The hands (and eyes) of whoever uses a simulated appliance: press or hold the capture button,
/// put the white card, the target or skin under the head, and look at the screen (written as a
/// picture, <paramref name="screenFile"/>, when the screen is on). The same commands come from the
/// terminal and from the control socket (<see cref="SimulatedControlSocket"/>); each returns one
/// line to show.
/// </summary>
public sealed class SimulatedControlPanel(SimulatedGpioDriver driver, SimulatedCamera camera, IOptions<PinMapOptions> pins, TimeProvider time, SimulatedSpiDisplay? display = null, string? screenFile = null)
{
    /// <summary>What the panel understands, for the terminal's prompt and an unknown command's answer.</summary>
    public const string Help = "Enter or 'tap' = press the button, 'h' or 'hold' = hold it (cancels), 'white' / 'target' = put the card under the head, 'skin' = take it away, 'screen' = write what the screen shows to a picture";

    /// <summary>Carries out one command line; the answer starts with "ok" or "unknown".</summary>
    public async Task<string> RunAsync(string line, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        switch (line.Trim().ToLowerInvariant())
        {
            case "" or "tap":
                driver.PressButton(pins.Value.CaptureButtonPin);
                return "ok: pressed";
            case "h" or "hold":
                await HoldAsync(cancellationToken);
                return "ok: held";
            case "white":
                camera.Card = SimulatedCard.WhiteCard;
                return "ok: white card under the head";
            case "target":
                camera.Card = SimulatedCard.Target;
                return "ok: target under the head";
            case "skin":
                camera.Card = SimulatedCard.None;
                return "ok: skin under the head";
            case "screen" when display is not null && screenFile is not null:
                await File.WriteAllBytesAsync(screenFile, Bmp24.Encode(Screen.ScreenCanvas.Width, Screen.ScreenCanvas.Height, display.Picture()), cancellationToken);
                return $"ok: the screen as it is now, in {screenFile}";
            case "screen":
                return "ok: this appliance has no screen (Screen:Enabled is false)";
            default:
                return $"unknown command: {Help}";
        }
    }

    /// <summary>Held past the long press, on the appliance's own clock, which times it.</summary>
    private async Task HoldAsync(CancellationToken cancellationToken)
    {
        var pin = pins.Value.CaptureButtonPin;
        driver.DriveInput(pin, System.Device.Gpio.PinValue.Low);
        try
        {
            await Task.Delay(pins.Value.LongPress + TimeSpan.FromMilliseconds(500), time, cancellationToken);
        }
        finally
        {
            driver.DriveInput(pin, System.Device.Gpio.PinValue.High);
        }
    }
}
