using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestKit;

namespace Appliance.UnitTests;

/// <summary>
/// The hardware rows of <c>selftest</c> with the simulated devices, and with a fake for each
/// failure: a pin that is busy, a button held down, a PWM channel that will not open, a camera
/// that fails or hangs. A failed part is a row naming why, the rows that need it are skipped,
/// and the ring is dark afterwards whatever happened.
/// </summary>
public sealed class DeviceSelfTestTests
{
    private readonly PinMapOptions _pins = new();
    private readonly RingDriveOptions _rings = new() { CrossPolarisedPwmChannel = 0, NonPolarisedPwmChannel = 1 };
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);
    private Func<GpioDriver> _gpioDriver;
    private PwmChannelFactory _pwm;
    private ICamera _camera = new SimulatedCamera();
    private IOverviewCamera? _overview;
    private Func<Appliance.Firmware.Devices.Screen.IScreenPanel>? _screen;
    private TimeSpan _maxRingOnTime = TimeSpan.FromSeconds(3);

    public DeviceSelfTestTests()
    {
        _gpioDriver = () => _driver;
        _pwm = (_, _, frequency, pin) => new SimulatedPwmChannel(_driver, pin, frequency);
    }

    [Fact]
    public async Task WithTheSimulatedDevices_EveryRowPasses_AndTheFrameIsTakenUnderTheLitRing()
    {
        var lit = new List<bool>();
        var simulated = new SimulatedCamera();
        _camera = new FakeCamera(async (lighting, settings, ct) =>
        {
            lit.Add(_driver.ValueOf(_pins.CrossPolarisedRingPin) == PinValue.High);
            return await simulated.CaptureAsync(lighting, settings, ct);
        });

        var rows = await RunAsync();

        Assert.All(rows, r => Assert.Equal(SelfTestOutcome.Pass, r.Outcome));
        Assert.Equal(
            ["gpio chip", "gpio 17 capture button", "gpio 22 status red", "gpio 23 status green", "gpio 24 status blue", "pwm chip", "pwm 0 cross-polarised ring", "pwm 1 non-polarised ring", "pin map and config.txt", "camera tool", "camera frame"],
            rows.Select(r => r.Check));
        Assert.Matches(@"^64x48 under the cross-polarised ring, mean level \d+ of 255$", rows[^1].Detail);
        Assert.Equal([true], lit);
        AssertRingsDark();
    }

    [Fact]
    public async Task WithAScreen_ItsTestPatternIsDrawn_ThenItIsDark()
    {
        var options = new Appliance.Firmware.Devices.Screen.ScreenOptions { Enabled = true };
        using var screenGpio = new GpioController(new SimulatedGpioDriver(TimeProvider.System));
        var display = new Appliance.Firmware.Devices.Simulated.SimulatedSpiDisplay(screenGpio, options.DataCommandPin, options.BacklightPin, options.ClockHz);
        Appliance.Firmware.Devices.Screen.Ili9341Panel? panel = null;
        _screen = () => panel = new Appliance.Firmware.Devices.Screen.Ili9341Panel(display, screenGpio, options);
        var lit = new List<(int, int, int)>();
        display.Received += _ =>
        {
            if (screenGpio.Read(options.BacklightPin) == PinValue.High)
            {
                var picture = display.Picture();
                lit.Add((picture[((120 * 320) + 50) * 3], picture[(((120 * 320) + 160) * 3) + 1], picture[(((120 * 320) + 270) * 3) + 2]));
            }
        };

        var rows = await RunAsync();

        Assert.Equal(("screen", SelfTestOutcome.Pass), (rows.Single(r => r.Check == "screen").Check, rows.Single(r => r.Check == "screen").Outcome));
        Assert.Equal(SelfTestOutcome.Pass, rows.Single(r => r.Check == "screen device").Outcome);
        Assert.Contains((255, 255, 255), lit); // red, green and blue bands were on the lit panel
        Assert.All(display.Picture(), b => Assert.Equal(0, b)); // and it is dark after
        panel!.Dispose();
    }

    [Fact]
    public async Task WithAnOverviewCamera_ItsFrameIsARowOfItsOwn_AndAFailingOneSaysWhy()
    {
        _overview = new SimulatedOverviewCamera();
        // The simulator renders on the thread pool, which the heavier tests running beside this one can keep waiting.
        _maxRingOnTime = TimeSpan.FromSeconds(30);

        var rows = await RunAsync();

        var row = rows[^1];
        Assert.Equal(("overview frame", SelfTestOutcome.Pass, "96x72 in the room's light"), (row.Check, row.Outcome, row.Detail));

        _overview = new FailingOverviewCamera();
        var failed = (await RunAsync())[^1];
        Assert.Equal(("overview frame", SelfTestOutcome.Fail), (failed.Check, failed.Outcome));
        Assert.Contains("no camera on port 1", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RingsOnPlainGpio_AreOpenedAsPins_LowAndNotAsPwm()
    {
        _rings.CrossPolarisedPwmChannel = null;
        _rings.NonPolarisedPwmChannel = null;
        _pins.BuzzerPin = 25;

        var rows = await RunAsync();

        Assert.Contains(rows, r => r.Check == "gpio 18 cross-polarised ring" && r.Outcome == SelfTestOutcome.Pass && r.Detail == "output, opened low");
        Assert.Contains(rows, r => r.Check == "gpio 13 non-polarised ring" && r.Outcome == SelfTestOutcome.Pass);
        Assert.Contains(rows, r => r.Check == "gpio 25 buzzer" && r.Outcome == SelfTestOutcome.Pass);
        Assert.DoesNotContain(rows, r => r.Check.StartsWith("pwm", StringComparison.Ordinal));
        Assert.Equal(SelfTestOutcome.Pass, rows.Single(r => r.Check == "camera frame").Outcome);
    }

    [Fact]
    public async Task ABusyPin_FailsItsRow_SuggestingTheRunningFirmware_AndSkipsTheFrame()
    {
        _gpioDriver = () => new BusyPinDriver(_driver, _pins.StatusGreenPin);

        var rows = await RunAsync();

        var green = rows.Single(r => r.Check == "gpio 23 status green");
        Assert.Equal(SelfTestOutcome.Fail, green.Outcome);
        Assert.Contains("Device or resource busy", green.Detail, StringComparison.Ordinal);
        Assert.Contains("systemctl stop appliance-firmware", green.Detail, StringComparison.Ordinal);
        Assert.Equal(SelfTestOutcome.Pass, rows.Single(r => r.Check == "gpio 24 status blue").Outcome);
        Assert.Equal(new SelfTestResult("camera frame", SelfTestOutcome.Skipped, "the rings cannot be driven (above)"), rows[^1]);
    }

    [Fact]
    public async Task AButtonThatReadsPressed_Fails_BecauseTheApplianceWouldCaptureOnItsOwn()
    {
        var rows = await RunAsync(beforeRun: gpio =>
        {
            gpio.OpenPin(_pins.CaptureButtonPin, PinMode.InputPullUp);
            _driver.DriveInput(_pins.CaptureButtonPin, PinValue.Low);
            gpio.ClosePin(_pins.CaptureButtonPin);
        });

        var button = rows.Single(r => r.Check == "gpio 17 capture button");
        Assert.Equal(SelfTestOutcome.Fail, button.Outcome);
        Assert.Contains("held down or its wire is shorted to ground", button.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APwmChannelThatWillNotOpen_FailsItsRow_WithTheDriversReason()
    {
        _pwm = (chip, channel, frequency, pin) => channel == 1
            ? throw new IOException($"Error 2 performing operation on /sys/class/pwm/pwmchip{chip}/export")
            : new SimulatedPwmChannel(_driver, pin, frequency);

        var rows = await RunAsync();

        Assert.Equal(
            new SelfTestResult("pwm 1 non-polarised ring", SelfTestOutcome.Fail, "Error 2 performing operation on /sys/class/pwm/pwmchip0/export"),
            rows.Single(r => r.Check.StartsWith("pwm 1", StringComparison.Ordinal)));
        Assert.Equal(SelfTestOutcome.Skipped, rows[^1].Outcome);
    }

    [Fact]
    public async Task ACameraFault_FailsTheFrameRow_WithItsReason_AndLeavesTheRingDark()
    {
        _camera = new FakeCamera((_, _, _) => Task.FromException<CapturedFrame>(new CaptureFaultException("rpicam-still exited 255: no cameras available")));

        var rows = await RunAsync();

        Assert.Equal(new SelfTestResult("camera frame", SelfTestOutcome.Fail, "rpicam-still exited 255: no cameras available"), rows[^1]);
        AssertRingsDark();
    }

    [Fact]
    public async Task ACameraThatHangs_IsCutOffAtTheRingsOnTimeLimit_AndTheRingIsDark()
    {
        _maxRingOnTime = TimeSpan.FromMilliseconds(200);
        _camera = new FakeCamera(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            throw new InvalidOperationException("unreachable");
        });

        var rows = await RunAsync();

        Assert.Equal(new SelfTestResult("camera frame", SelfTestOutcome.Fail, "no frame within the ring's on-time limit (0.2 s, Capture:MaxRingOnTime)"), rows[^1]);
        AssertRingsDark();
    }

    private async Task<IReadOnlyList<SelfTestResult>> RunAsync(Action<GpioController>? beforeRun = null)
    {
        using var gpio = new GpioController(_gpioDriver());
        beforeRun?.Invoke(gpio);
        GpioIlluminator? illuminator = null;
        IRingOutput Output(int pin, int? channel) => channel is { } c
            ? new PwmRingOutput(_pwm(_rings.PwmChip, c, _rings.PwmFrequencyHz, pin), 1.0)
            : new GpioRingOutput(gpio, pin);
        var test = new DeviceSelfTest(
            DevicesMode.Simulated,
            new DeviceParts(new DevicesOptions(), _pins, _rings, new RpicamOptions(), new V4l2Options(), () => true),
            _pins,
            _rings,
            new DeviceSelfTest.Factories(
                () => gpio,
                _pwm,
                () => _camera,
                () => illuminator = new GpioIlluminator(Output(_pins.CrossPolarisedRingPin, _rings.CrossPolarisedPwmChannel), Output(_pins.NonPolarisedRingPin, _rings.NonPolarisedPwmChannel)),
                _overview is null ? null : () => _overview,
                new CameraSettings(96, 72, TimeSpan.FromMilliseconds(10), 4.0, 1.8, 1.5, 3.3),
                _screen),
            new CameraSettings(64, 48, TimeSpan.FromMilliseconds(8), 1.0, 1.8, 1.5, 8.0),
            _maxRingOnTime,
            TimeProvider.System);
        try
        {
            return await test.RunAsync(CancellationToken.None);
        }
        finally
        {
            illuminator?.Dispose();
        }
    }

    private void AssertRingsDark()
    {
        var writes = _driver.Timeline.Where(w => w.Pin == _pins.CrossPolarisedRingPin || w.Pin == _pins.NonPolarisedRingPin).ToList();
        Assert.NotEmpty(writes);
        Assert.Equal(PinValue.Low, writes.Last(w => w.Pin == _pins.CrossPolarisedRingPin).Value);
        Assert.Equal(PinValue.Low, writes.Last(w => w.Pin == _pins.NonPolarisedRingPin).Value);
    }

    /// <summary>The simulated driver, except that one line is held by another process, as libgpiod reports it.</summary>
    private sealed class BusyPinDriver(SimulatedGpioDriver inner, int busyPin) : GpioDriver
    {
        protected override int PinCount => 28;

        protected override void OpenPin(int pinNumber)
        {
            if (pinNumber == busyPin)
            {
                throw new IOException($"Pin {pinNumber} is not available: Device or resource busy");
            }
        }

        protected override void ClosePin(int pinNumber)
        {
        }

        protected override void SetPinMode(int pinNumber, PinMode mode)
        {
        }

        protected override PinMode GetPinMode(int pinNumber) => PinMode.Output;

        protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

        protected override PinValue Read(int pinNumber) => PinValue.High;

        protected override void Write(int pinNumber, PinValue value) => inner.RecordExternalOutput(pinNumber, value, value == PinValue.High ? 1 : 0);

        protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
        {
        }

        protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
        {
        }
    }

    private sealed class FailingOverviewCamera : IOverviewCamera
    {
        public Task<CapturedFrame> CaptureAsync(CameraSettings settings, CancellationToken cancellationToken) =>
            Task.FromException<CapturedFrame>(new CaptureFaultException("no camera on port 1"));
    }
}
