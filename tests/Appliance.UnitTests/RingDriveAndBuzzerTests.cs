using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

public sealed class PwmRingTests : IDisposable
{
    private readonly PinMapOptions _pins = new();
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);

    private GpioIlluminator PwmRings(double crossBrightness, double nonBrightness) => new(
        new PwmRingOutput(new SimulatedPwmChannel(_driver, _pins.CrossPolarisedRingPin, 25_000), crossBrightness),
        new PwmRingOutput(new SimulatedPwmChannel(_driver, _pins.NonPolarisedRingPin, 25_000), nonBrightness));

    [Fact]
    public async Task PwmRings_LightEachRingAtItsBrightness_OnlyForItsOwnFrame_NeverTogether()
    {
        using var rings = PwmRings(0.6, 0.35);
        var observed = new List<(LightingMode Lighting, double? CrossDuty, double? NonDuty)>();
        var camera = new FakeCamera((lighting, _, _) =>
        {
            observed.Add((lighting, LastDuty(_pins.CrossPolarisedRingPin), LastDuty(_pins.NonPolarisedRingPin)));
            return Task.FromResult(SimulatedCamera.Render(new SimulatedScene(), lighting, 64, 48, false));
        });
        var sequencer = new CaptureSequencer(camera, rings, new FrameBufferPool(), TimeProvider.System, Options.Create(new CaptureOptions { RingSettleTime = TimeSpan.FromMilliseconds(1), Width = 64, Height = 48 }));

        (await sequencer.CaptureSeriesAsync(CancellationToken.None)).Dispose();

        Assert.Equal([(LightingMode.CrossPolarised, 0.6, 0.0), (LightingMode.NonPolarised, 0.0, 0.35)], observed);
        RingTimeline.AssertNeverTogether(_driver, _pins);
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.CrossPolarisedRingPin));
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.NonPolarisedRingPin));
    }

    [Fact]
    public async Task PwmRings_CameraFault_LeavesBothAtZeroDuty()
    {
        using var rings = PwmRings(1.0, 1.0);
        var camera = new FakeCamera((_, _, _) => Task.FromException<CapturedFrame>(new CaptureFaultException("sensor timeout")));
        var sequencer = new CaptureSequencer(camera, rings, new FrameBufferPool(), TimeProvider.System, Options.Create(new CaptureOptions { RingSettleTime = TimeSpan.Zero }));

        await Assert.ThrowsAsync<CaptureFaultException>(() => sequencer.CaptureSeriesAsync(CancellationToken.None));

        Assert.Equal(0.0, LastDuty(_pins.CrossPolarisedRingPin));
        Assert.Equal(0.0, LastDuty(_pins.NonPolarisedRingPin));
    }

    [Fact]
    public void Composition_WithPwmChannelsConfigured_DrivesTheRingsOnPwm_AtTheConfiguredBrightness()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Devices:Mode"] = "Simulated",
            ["Rings:CrossPolarisedPwmChannel"] = "0",
            ["Rings:CrossPolarisedBrightness"] = "0.7",
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddApplianceDevices();
        using var host = builder.Build();
        var driver = host.Services.GetRequiredService<SimulatedGpioDriver>();
        var rings = host.Services.GetRequiredService<IIlluminator>();

        rings.Light(LightingMode.CrossPolarised);
        rings.Light(LightingMode.NonPolarised);
        rings.AllOff();

        var pins = new PinMapOptions();
        var cross = driver.Timeline.Where(w => w.Pin == pins.CrossPolarisedRingPin).ToList();
        Assert.Contains(cross, w => w.Value == PinValue.High && w.Duty == 0.7);
        Assert.All(cross, w => Assert.NotNull(w.Duty)); // PWM, not GPIO writes
        Assert.All(driver.Timeline.Where(w => w.Pin == pins.NonPolarisedRingPin), w => Assert.Null(w.Duty)); // no channel: plain GPIO
        RingTimeline.AssertNeverTogether(driver, pins);
    }

    private double? LastDuty(int pin) => _driver.Timeline.LastOrDefault(w => w.Pin == pin)?.Duty;

    public void Dispose() => _driver.Dispose();
}

public sealed class BuzzerTests : IDisposable
{
    private const int Pin = 25;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-24T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly SimulatedGpioDriver _driver;
    private readonly GpioBuzzer _buzzer;

    public BuzzerTests()
    {
        _driver = new SimulatedGpioDriver(_time);
        _buzzer = new GpioBuzzer(new GpioController(_driver), Pin, _time);
    }

    /// <summary>Durations of the high stretches on the buzzer pin, in milliseconds.</summary>
    private List<double> Beeps()
    {
        var beeps = new List<double>();
        DateTimeOffset? on = null;
        foreach (var w in _driver.Timeline.Where(w => w.Pin == Pin))
        {
            if (w.Value == PinValue.High)
            {
                on ??= w.At;
            }
            else if (on is { } start)
            {
                beeps.Add((w.At - start).TotalMilliseconds);
                on = null;
            }
        }

        return beeps;
    }

    private void Run(TimeSpan total)
    {
        for (var t = TimeSpan.Zero; t < total; t += TimeSpan.FromMilliseconds(10))
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    [Theory]
    [InlineData(IndicatorState.Accepted, new[] { 80.0 })]
    [InlineData(IndicatorState.Retake, new[] { 80.0, 80.0 })]
    [InlineData(IndicatorState.Fault, new[] { 600.0 })]
    [InlineData(IndicatorState.Armed, new double[0])]
    [InlineData(IndicatorState.Calibrating, new[] { 80.0 })]
    [InlineData(IndicatorState.Identify, new[] { 80.0, 80.0, 80.0 })]
    [InlineData(IndicatorState.ArmedForOverview, new double[0])]
    [InlineData(IndicatorState.OverviewTaken, new[] { 80.0 })]
    public void EachStateHasItsPattern_AndTheBuzzerEndsSilent(IndicatorState state, double[] expected)
    {
        var done = _buzzer.Signal(state);
        Run(TimeSpan.FromSeconds(2));

        Assert.True(done.IsCompleted);
        Assert.Equal(expected, Beeps());
        Assert.Equal(PinValue.Low, _driver.ValueOf(Pin));
    }

    [Fact]
    public void ANewStateCutsOffThePatternStillPlaying()
    {
        _buzzer.Signal(IndicatorState.Fault);
        Run(TimeSpan.FromMilliseconds(100));
        _buzzer.Signal(IndicatorState.Busy); // silent
        Run(TimeSpan.FromSeconds(1));

        Assert.Equal([100.0], Beeps());
        Assert.Equal(PinValue.Low, _driver.ValueOf(Pin));
    }

    [Fact]
    public void StatusIndicator_SoundsTheBuzzer_WhenOneIsFitted()
    {
        var indicator = new GpioStatusIndicator(new GpioController(_driver), Options.Create(new PinMapOptions { BuzzerPin = Pin }), _buzzer);

        indicator.Show(IndicatorState.Accepted);
        Run(TimeSpan.FromMilliseconds(500));

        Assert.Equal([80.0], Beeps());
    }

    [Fact]
    public async Task Identify_LightsWhiteAndBeepsThrice_ThenShowsWhatWasShownBefore_UnlessAnotherStateCameMeanwhile()
    {
        var pins = new PinMapOptions { BuzzerPin = Pin };
        var indicator = new GpioStatusIndicator(new GpioController(_driver), Options.Create(pins), _buzzer, _time);
        bool Lit(int pin) => _driver.ValueOf(pin) == PinValue.High;

        indicator.Show(IndicatorState.Armed);
        indicator.Show(IndicatorState.Identify);
        Assert.True(Lit(pins.StatusRedPin) && Lit(pins.StatusGreenPin) && Lit(pins.StatusBluePin));
        Run(GpioStatusIndicator.IdentifyFor - TimeSpan.FromMilliseconds(50));
        Assert.Equal(IndicatorState.Identify, indicator.Current);
        Run(TimeSpan.FromMilliseconds(100));
        await indicator.IdentifyEnded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(IndicatorState.Armed, indicator.Current);
        Assert.Equal((false, false, true), (Lit(pins.StatusRedPin), Lit(pins.StatusGreenPin), Lit(pins.StatusBluePin)));
        Assert.Equal([80.0, 80.0, 80.0], Beeps());

        // Capture pressed while it was still white: the capture's state stands.
        indicator.Show(IndicatorState.Identify);
        indicator.Show(IndicatorState.Busy);
        Run(GpioStatusIndicator.IdentifyFor + TimeSpan.FromSeconds(1));
        await indicator.IdentifyEnded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(IndicatorState.Busy, indicator.Current);
    }

    [Fact]
    public async Task ArmedForTheOverview_BlinksBlue_UntilTheNextState_AndBlinksAgainAfterAnIdentify()
    {
        var pins = new PinMapOptions { BuzzerPin = Pin };
        using var indicator = new GpioStatusIndicator(new GpioController(_driver), Options.Create(pins), _buzzer, _time);
        bool Blue() => _driver.ValueOf(pins.StatusBluePin) == PinValue.High;
        var blue = new List<bool>();
        void Sample(int halves)
        {
            for (var i = 0; i < halves; i++)
            {
                Run(GpioStatusIndicator.BlinkHalf);
                blue.Add(Blue());
            }
        }

        indicator.Show(IndicatorState.ArmedForOverview);
        blue.Add(Blue());
        Sample(4);
        Assert.Equal([true, false, true, false, true], blue);
        Assert.False(_driver.ValueOf(pins.StatusRedPin) == PinValue.High || _driver.ValueOf(pins.StatusGreenPin) == PinValue.High);

        // An identify in the middle: white, then back to blinking.
        indicator.Show(IndicatorState.Identify);
        Run(GpioStatusIndicator.IdentifyFor + TimeSpan.FromMilliseconds(50));
        await indicator.IdentifyEnded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(IndicatorState.ArmedForOverview, indicator.Current);
        blue.Clear();
        Sample(4);
        Assert.Equal(2, blue.Count(b => b));

        // The overview taken: steady blue from then on.
        indicator.Show(IndicatorState.OverviewTaken);
        blue.Clear();
        Sample(4);
        Assert.Equal([true, true, true, true], blue);
    }

    public void Dispose()
    {
        _buzzer.Dispose();
        _driver.Dispose();
    }
}

public sealed class StatusColourTests
{
    [Theory]
    [InlineData(IndicatorState.Armed, false, false, true)]
    [InlineData(IndicatorState.Retake, true, true, false)]
    [InlineData(IndicatorState.Calibrating, true, false, true)]
    [InlineData(IndicatorState.ArmedForOverview, false, false, true)]
    [InlineData(IndicatorState.OverviewTaken, false, false, true)]
    public void EachStateLightsItsColour(IndicatorState state, bool red, bool green, bool blue)
    {
        using var driver = new SimulatedGpioDriver(TimeProvider.System);
        using var gpio = new GpioController(driver);
        var pins = new PinMapOptions();
        using var indicator = new GpioStatusIndicator(gpio, Options.Create(pins));

        indicator.Show(state);

        Assert.Equal(
            (red, green, blue),
            (driver.ValueOf(pins.StatusRedPin) == PinValue.High, driver.ValueOf(pins.StatusGreenPin) == PinValue.High, driver.ValueOf(pins.StatusBluePin) == PinValue.High));
    }
}
