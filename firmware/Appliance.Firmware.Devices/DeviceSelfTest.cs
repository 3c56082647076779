using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices;

/// <summary>
/// The hardware half of the install self-test: the GPIO chip, every pin of the pin map opened
/// as the firmware opens it, each ring's PWM channel, the camera tool, and one test frame under
/// the cross-polarised ring. Each part is built only when its row runs, so one that cannot be
/// opened is a failed row naming why, never an exception; rows that need a failed part are skipped.
/// </summary>
public sealed class DeviceSelfTest(
    DevicesMode mode,
    DeviceParts parts,
    PinMapOptions pins,
    RingDriveOptions rings,
    DeviceSelfTest.Factories open,
    CameraSettings frameSettings,
    TimeSpan maxRingOnTime,
    TimeProvider time)
{
    /// <summary>How the parts are opened: the firmware's own registrations, resolved when a row needs them.</summary>
    public sealed record Factories(Func<GpioController> Gpio, PwmChannelFactory Pwm, Func<ICamera> Camera, Func<IIlluminator> Illuminator, Func<IOverviewCamera>? Overview = null, CameraSettings? OverviewSettings = null, Func<Screen.IScreenPanel>? Screen = null);

    public async Task<IReadOnlyList<SelfTestResult>> RunAsync(CancellationToken cancellationToken)
    {
        var rows = new List<SelfTestResult>();
        var simulated = mode == DevicesMode.Simulated;
        var gpioChip = simulated
            ? SelfTestResult.Pass("gpio chip", "simulated (Devices:Mode=Simulated)")
            : SelfTestResult.From("gpio chip", parts.MissingGpio(), $"{parts.GpioChipPath} through libgpiod");
        rows.Add(gpioChip);
        rows.AddRange(Pins(gpioChip.Outcome == SelfTestOutcome.Pass));

        var pwmRings = parts.PwmRings().ToList();
        var pwmReady = true;
        if (pwmRings.Count > 0)
        {
            var pwmChip = simulated
                ? SelfTestResult.Pass("pwm chip", "simulated")
                : SelfTestResult.From("pwm chip", parts.MissingPwm(), parts.PwmChipPath);
            rows.Add(pwmChip);
            foreach (var (ring, channel) in pwmRings)
            {
                rows.Add(pwmChip.Outcome != SelfTestOutcome.Pass
                    ? SelfTestResult.Skip($"pwm {channel} {ring}", "no PWM chip")
                    : Attempt($"pwm {channel} {ring}", () =>
                    {
                        using var pwm = open.Pwm(rings.PwmChip, channel, rings.PwmFrequencyHz, RingPin(channel));
                        pwm.DutyCycle = 0;
                        return $"opened at {rings.PwmFrequencyHz} Hz, duty 0";
                    }));
            }

            pwmReady = rows.TakeLast(pwmRings.Count + 1).All(r => r.Outcome == SelfTestOutcome.Pass);
        }

        rows.Add(simulated ? SelfTestResult.Pass("pin map and config.txt", "simulated") : SelfTestResult.From("pin map and config.txt", parts.BoardConflicts(), "no line is on a bus config.txt turns on; each PWM ring is on its overlay's pin"));
        if (open.Screen is not null)
        {
            var device = simulated ? SelfTestResult.Pass("screen device", "simulated") : SelfTestResult.From("screen device", parts.MissingScreen(), "SPI device present");
            rows.Add(device);
            rows.Add(device.Outcome != SelfTestOutcome.Pass ? SelfTestResult.Skip("screen", "no SPI device") : Attempt("screen", () => TestPattern(open.Screen)));
        }

        var tool = simulated
            ? SelfTestResult.Pass("camera tool", "simulated camera")
            : SelfTestResult.From("camera tool", parts.MissingCamera(), parts.ResolveCameraTool() ?? parts.CameraTool);
        rows.Add(tool);
        var ringsReady = rows.Where(r => r.Check.StartsWith("gpio", StringComparison.Ordinal)).All(r => r.Outcome == SelfTestOutcome.Pass) && pwmReady;
        rows.Add(tool.Outcome != SelfTestOutcome.Pass ? SelfTestResult.Skip("camera frame", "no camera tool")
            : !ringsReady ? SelfTestResult.Skip("camera frame", "the rings cannot be driven (above)")
            : await TestFrameAsync(cancellationToken));
        if (open.Overview is not null && open.OverviewSettings is not null)
        {
            rows.Add(tool.Outcome != SelfTestOutcome.Pass ? SelfTestResult.Skip("overview frame", "no camera tool") : await OverviewFrameAsync(open.Overview, open.OverviewSettings, cancellationToken));
        }

        return rows;
    }

    private IEnumerable<SelfTestResult> Pins(bool chipReady)
    {
        var map = new List<(int Pin, string Function, PinMode Mode)> { (pins.CaptureButtonPin, "capture button", PinMode.InputPullUp) };
        if (rings.CrossPolarisedPwmChannel is null)
        {
            map.Add((pins.CrossPolarisedRingPin, "cross-polarised ring", PinMode.Output));
        }

        if (rings.NonPolarisedPwmChannel is null)
        {
            map.Add((pins.NonPolarisedRingPin, "non-polarised ring", PinMode.Output));
        }

        map.Add((pins.StatusRedPin, "status red", PinMode.Output));
        map.Add((pins.StatusGreenPin, "status green", PinMode.Output));
        map.Add((pins.StatusBluePin, "status blue", PinMode.Output));
        if (pins.BuzzerPin is { } buzzer)
        {
            map.Add((buzzer, "buzzer", PinMode.Output));
        }

        GpioController? gpio = null;
        string? unopened = chipReady ? null : "no GPIO chip";
        if (chipReady)
        {
            try
            {
                gpio = open.Gpio();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                unopened = $"the chip did not open: {ex.Message}";
            }
        }

        foreach (var (pin, function, pinMode) in map)
        {
            var check = $"gpio {pin} {function}";
            yield return gpio is null ? new SelfTestResult(check, chipReady ? SelfTestOutcome.Fail : SelfTestOutcome.Skipped, unopened!)
                : pinMode == PinMode.InputPullUp ? Button(gpio, pin, check)
                : Attempt(check, () =>
                {
                    // Opened low, as the firmware opens it: a ring or LED stays dark.
                    gpio.OpenPin(pin, PinMode.Output, PinValue.Low);
                    gpio.ClosePin(pin);
                    return "output, opened low";
                });
        }
    }

    private static SelfTestResult Button(GpioController gpio, int pin, string check)
    {
        try
        {
            gpio.OpenPin(pin, PinMode.InputPullUp);
            try
            {
                // Released reads high through the pull-up; low means held down, or its wire shorted to ground.
                return gpio.Read(pin) == PinValue.High
                    ? SelfTestResult.Pass(check, "input with pull-up, reads released")
                    : SelfTestResult.Fail(check, "reads pressed: the button is held down or its wire is shorted to ground, and the appliance would capture on its own");
            }
            finally
            {
                gpio.ClosePin(pin);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return SelfTestResult.Fail(check, Opening(ex));
        }
    }

    private async Task<SelfTestResult> TestFrameAsync(CancellationToken cancellationToken)
    {
        const string check = "camera frame";
        IIlluminator illuminator;
        ICamera camera;
        try
        {
            illuminator = open.Illuminator();
            camera = open.Camera();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return SelfTestResult.Fail(check, ex.Message);
        }

        // The ring is on for one frame and never past its limit, as in a capture.
        using var limit = new CancellationTokenSource(maxRingOnTime, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken);
        try
        {
            illuminator.Light(LightingMode.CrossPolarised);
            var frame = await camera.CaptureAsync(LightingMode.CrossPolarised, frameSettings, linked.Token);
            var pixels = frame.Pixels.AsSpan(0, Math.Min(frame.Pixels.Length, frame.Width * frame.Height * 3));
            long sum = 0;
            foreach (var level in pixels)
            {
                sum += level;
            }

            var mean = pixels.IsEmpty ? 0 : (double)sum / pixels.Length;
            // Whatever is under the head at install is nobody's business: the frame goes no further.
            Array.Clear(frame.Pixels);
            return SelfTestResult.Pass(check, $"{frame.Width}x{frame.Height} under the cross-polarised ring, mean level {mean:0} of 255");
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return SelfTestResult.Fail(check, $"no frame within the ring's on-time limit ({maxRingOnTime.TotalSeconds:0.#} s, Capture:MaxRingOnTime)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return SelfTestResult.Fail(check, ex.Message);
        }
        finally
        {
            illuminator.AllOff();
        }
    }

    /// <summary>One frame from the overview camera in the room's light: it answers, at the size asked, within its limit.</summary>
    private async Task<SelfTestResult> OverviewFrameAsync(Func<IOverviewCamera> overview, CameraSettings settings, CancellationToken cancellationToken)
    {
        const string check = "overview frame";
        using var limit = new CancellationTokenSource(maxRingOnTime, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken);
        try
        {
            var frame = await overview().CaptureAsync(settings, linked.Token);
            var (width, height) = (frame.Width, frame.Height);
            Array.Clear(frame.Pixels); // whoever was in front of it at install: the frame goes no further
            return width == settings.Width && height == settings.Height
                ? SelfTestResult.Pass(check, $"{width}x{height} in the room's light")
                : SelfTestResult.Fail(check, $"{width}x{height}, not the {settings.Width}x{settings.Height} asked for");
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return SelfTestResult.Fail(check, $"no frame within {maxRingOnTime.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return SelfTestResult.Fail(check, ex.Message);
        }
    }

    /// <summary>The panel set up and a test pattern drawn (three bands and a white frame), then dark: a person at the bench sees it flash.</summary>
    private static string TestPattern(Func<Screen.IScreenPanel> screen)
    {
        var panel = screen();
        var canvas = new Screen.ScreenCanvas();
        var whole = Screen.ScreenLayout.Whole;
        canvas.Fill(whole, Screen.ScreenCanvas.Rgb565(255, 255, 255));
        canvas.Fill(new System.Drawing.Rectangle(4, 4, 104, 232), Screen.ScreenCanvas.Rgb565(255, 0, 0));
        canvas.Fill(new System.Drawing.Rectangle(108, 4, 104, 232), Screen.ScreenCanvas.Rgb565(0, 255, 0));
        canvas.Fill(new System.Drawing.Rectangle(212, 4, 104, 232), Screen.ScreenCanvas.Rgb565(0, 0, 255));
        var bytes = new byte[whole.Width * whole.Height * 2];
        canvas.CopyRegion(whole, bytes);
        panel.Write(whole, bytes);
        panel.Backlight(true);
        canvas.Fill(whole, Screen.ScreenPainter.Black);
        canvas.CopyRegion(whole, bytes);
        panel.Write(whole, bytes);
        panel.Backlight(false);
        return "set up; red, green and blue bands drawn, then dark";
    }

    private int RingPin(int channel) =>
        rings.CrossPolarisedPwmChannel == channel ? pins.CrossPolarisedRingPin : pins.NonPolarisedRingPin;

    private static SelfTestResult Attempt(string check, Func<string> action)
    {
        try
        {
            return SelfTestResult.Pass(check, action());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return SelfTestResult.Fail(check, Opening(ex));
        }
    }

    /// <summary>A pin or channel that will not open; busy is nearly always the firmware itself holding it.</summary>
    private static string Opening(Exception ex) =>
        ex.Message.Contains("busy", StringComparison.OrdinalIgnoreCase)
            ? $"{ex.Message} (is the firmware running? systemctl stop appliance-firmware, then test again)"
            : ex.Message;
}
