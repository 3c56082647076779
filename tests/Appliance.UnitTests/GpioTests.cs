using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>A camera that notes which rings were lit when each frame was taken, then delegates or misbehaves.</summary>
internal sealed class ObservingCamera(SimulatedGpioDriver driver, PinMapOptions pins, Func<LightingMode, CancellationToken, Task<CapturedFrame>> capture) : ICamera
{
    public List<(LightingMode Requested, bool CrossLit, bool NonLit)> Observed { get; } = [];

    public Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken)
    {
        Observed.Add((lighting, driver.ValueOf(pins.CrossPolarisedRingPin) == PinValue.High, driver.ValueOf(pins.NonPolarisedRingPin) == PinValue.High));
        return capture(lighting, cancellationToken);
    }
}

internal static class RingTimeline
{
    /// <summary>Replays the recorded outputs (GPIO writes and PWM changes) and checks that the two rings were never lit at once.</summary>
    public static void AssertNeverTogether(SimulatedGpioDriver driver, PinMapOptions pins)
    {
        var cross = PinValue.Low;
        var non = PinValue.Low;
        foreach (var write in driver.Timeline)
        {
            if (write.Pin == pins.CrossPolarisedRingPin)
            {
                cross = write.Value;
            }
            else if (write.Pin == pins.NonPolarisedRingPin)
            {
                non = write.Value;
            }

            Assert.False(cross == PinValue.High && non == PinValue.High, $"both rings lit at {write.At:O}");
        }
    }
}

public sealed class RingSequenceTests : IDisposable
{
    private readonly PinMapOptions _pins = new();
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);

    private (CaptureSequencer Sequencer, ObservingCamera Camera) Build(Func<LightingMode, CancellationToken, Task<CapturedFrame>> capture, TimeSpan? maxOnTime = null)
    {
        var gpio = new GpioController(_driver);
        var illuminator = new GpioIlluminator(gpio, Options.Create(_pins));
        var camera = new ObservingCamera(_driver, _pins, capture);
        var options = new CaptureOptions { RingSettleTime = TimeSpan.FromMilliseconds(2), MaxRingOnTime = maxOnTime ?? TimeSpan.FromSeconds(3), Width = 64, Height = 48 };
        return (new CaptureSequencer(camera, illuminator, new FrameBufferPool(), TimeProvider.System, Options.Create(options)), camera);
    }

    private static Task<CapturedFrame> Simulated(LightingMode lighting, CancellationToken _) =>
        Task.FromResult(SimulatedCamera.Render(new SimulatedScene(), lighting, 64, 48, false));

    private void AssertRingsNeverTogether() => RingTimeline.AssertNeverTogether(_driver, _pins);

    private void AssertAllRingsOff()
    {
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.CrossPolarisedRingPin));
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.NonPolarisedRingPin));
    }

    [Fact]
    public async Task CaptureSeries_LightsEachRingOnlyForItsOwnFrame_InOrder()
    {
        var (sequencer, camera) = Build(Simulated);

        using var series = await sequencer.CaptureSeriesAsync(CancellationToken.None);

        Assert.Equal([LightingMode.CrossPolarised, LightingMode.NonPolarised], series.Frames.Select(f => f.Lighting));
        Assert.Equal([(LightingMode.CrossPolarised, true, false), (LightingMode.NonPolarised, false, true)], camera.Observed);
        AssertRingsNeverTogether();
        AssertAllRingsOff();
    }

    [Fact]
    public async Task CaptureSeries_CameraFault_LeavesBothRingsOff()
    {
        var (sequencer, _) = Build((lighting, _) => lighting == LightingMode.NonPolarised
            ? throw new CaptureFaultException("sensor timeout")
            : Simulated(lighting, CancellationToken.None));

        await Assert.ThrowsAsync<CaptureFaultException>(() => sequencer.CaptureSeriesAsync(CancellationToken.None));

        AssertRingsNeverTogether();
        AssertAllRingsOff();
    }

    [Fact]
    public async Task CaptureSeries_CancelledWhileRingLit_TurnsRingOff()
    {
        using var cts = new CancellationTokenSource();
        var (sequencer, _) = Build(async (_, ct) =>
        {
            cts.Cancel();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sequencer.CaptureSeriesAsync(cts.Token));

        AssertAllRingsOff();
    }

    [Fact]
    public async Task CaptureSeries_CameraHangsPastMaxOnTime_FaultsAndTurnsRingOff()
    {
        var never = new TaskCompletionSource<CapturedFrame>();
        var (sequencer, _) = Build((_, _) => never.Task, maxOnTime: TimeSpan.FromMilliseconds(60));

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => sequencer.CaptureSeriesAsync(CancellationToken.None));

        Assert.Contains("ring limit", fault.Message);
        AssertAllRingsOff();
    }

    [Fact]
    public void ASeries_GivesItsPixelsBackClearedWhenDisposed_AndOnlyOnce()
    {
        var pool = new FrameBufferPool();
        var pixels = pool.RentBytes(12);
        pixels.AsSpan().Fill(0x7F);
        var series = new CapturedSeries([new CapturedFrame(LightingMode.CrossPolarised, 2, 2, CapturedFrame.Rgb24, pixels)], pool);

        series.Dispose();
        series.Dispose();

        Assert.All(pixels, b => Assert.Equal(0, b));
        Assert.Same(pixels, pool.RentBytes(12));
        Assert.NotSame(pixels, pool.RentBytes(12)); // given back once: never to two captures at once
        Assert.Throws<ObjectDisposedException>(() => series.Frames);
    }

    public void Dispose() => _driver.Dispose();

    [Fact]
    public void Illuminator_OnConstruction_DrivesBothRingsLow()
    {
        _ = new GpioIlluminator(new GpioController(_driver), Options.Create(_pins));

        Assert.Contains(_driver.Timeline, w => w.Pin == _pins.CrossPolarisedRingPin && w.Value == PinValue.Low);
        Assert.Contains(_driver.Timeline, w => w.Pin == _pins.NonPolarisedRingPin && w.Value == PinValue.Low);
        Assert.DoesNotContain(_driver.Timeline, w => w.Value == PinValue.High);
    }
}

public sealed class TriggerButtonTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-24T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly SimulatedGpioDriver _driver;
    private readonly PinMapOptions _pins = new() { ButtonDebounce = TimeSpan.FromMilliseconds(30), LongPress = TimeSpan.FromSeconds(2) };
    private readonly GpioTriggerButton _button;

    public TriggerButtonTests()
    {
        _driver = new SimulatedGpioDriver(_time);
        _button = new GpioTriggerButton(new GpioController(_driver), _time, Options.Create(_pins));
    }

    private void Bounce(PinValue settleAt)
    {
        var other = settleAt == PinValue.Low ? PinValue.High : PinValue.Low;
        for (var i = 0; i < 5; i++)
        {
            _driver.DriveInput(_pins.CaptureButtonPin, settleAt);
            _time.Advance(TimeSpan.FromMilliseconds(2));
            _driver.DriveInput(_pins.CaptureButtonPin, other);
            _time.Advance(TimeSpan.FromMilliseconds(2));
        }

        _driver.DriveInput(_pins.CaptureButtonPin, settleAt);
    }

    private List<ButtonPress> Drain()
    {
        var presses = new List<ButtonPress>();
        while (_button.Presses.TryRead(out var p))
        {
            presses.Add(p);
        }

        return presses;
    }

    [Fact]
    public void BouncyPressAndRelease_IsOneTap_ReportedOnRelease_AndALaterPressCountsAgain()
    {
        var pressedAt = _time.GetUtcNow();
        Bounce(PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Empty(Drain()); // still held: could yet become a long press

        Bounce(PinValue.High);
        _time.Advance(TimeSpan.FromMilliseconds(100));

        var tap = Assert.Single(Drain());
        Assert.Equal(PressKind.Tap, tap.Kind);
        Assert.Equal(pressedAt, tap.At);

        _time.Advance(TimeSpan.FromMilliseconds(300));
        Bounce(PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(120));
        Bounce(PinValue.High);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([PressKind.Tap], Drain().Select(p => p.Kind));
    }

    [Fact]
    public void HeldPastTheLongPressTime_IsOneHold_AtThatMoment_AndItsReleaseIsNothing()
    {
        Bounce(PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(1900));
        Assert.Empty(Drain());

        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal([PressKind.Hold], Drain().Select(p => p.Kind));

        _time.Advance(TimeSpan.FromSeconds(3));
        Bounce(PinValue.High);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Empty(Drain());
    }

    [Fact]
    public void TapShorterThanTheDebounceTime_WhoseReleaseLooksLikeBounce_IsStillATap()
    {
        _driver.DriveInput(_pins.CaptureButtonPin, PinValue.Low);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        _driver.DriveInput(_pins.CaptureButtonPin, PinValue.High);
        Assert.Empty(Drain());

        _time.Advance(TimeSpan.FromMilliseconds(40));

        Assert.Equal([PressKind.Tap], Drain().Select(p => p.Kind));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(Drain()); // and no long press from a button that is up
    }

    public void Dispose()
    {
        _button.Dispose();
        _driver.Dispose();
    }
}
