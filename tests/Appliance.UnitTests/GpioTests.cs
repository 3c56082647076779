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

    /// <summary>Replays the recorded writes and checks that the two rings were never high at once.</summary>
    private void AssertRingsNeverTogether()
    {
        var cross = PinValue.Low;
        var non = PinValue.Low;
        foreach (var write in _driver.Timeline)
        {
            if (write.Pin == _pins.CrossPolarisedRingPin)
            {
                cross = write.Value;
            }
            else if (write.Pin == _pins.NonPolarisedRingPin)
            {
                non = write.Value;
            }

            Assert.False(cross == PinValue.High && non == PinValue.High, $"both rings lit at {write.At:O}");
        }
    }

    private void AssertAllRingsOff()
    {
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.CrossPolarisedRingPin));
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.NonPolarisedRingPin));
    }

    [Fact]
    public async Task CaptureSeries_LightsEachRingOnlyForItsOwnFrame_InOrder()
    {
        var (sequencer, camera) = Build(Simulated);

        var frames = await sequencer.CaptureSeriesAsync(CancellationToken.None);

        Assert.Equal([LightingMode.CrossPolarised, LightingMode.NonPolarised], frames.Select(f => f.Lighting));
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

public sealed class TriggerButtonTests
{
    [Fact]
    public async Task BounceBurst_IsOnePress_AndALaterPressCountsAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T09:00:00Z"));
        var driver = new SimulatedGpioDriver(time);
        var pins = new PinMapOptions { ButtonDebounce = TimeSpan.FromMilliseconds(50) };
        using var button = new GpioTriggerButton(new GpioController(driver), time, Options.Create(pins));

        for (var i = 0; i < 6; i++)
        {
            driver.DriveInput(pins.CaptureButtonPin, PinValue.Low);
            time.Advance(TimeSpan.FromMilliseconds(3));
            driver.DriveInput(pins.CaptureButtonPin, PinValue.High);
            time.Advance(TimeSpan.FromMilliseconds(3));
        }

        Assert.True(button.Presses.TryRead(out var first));
        Assert.False(button.Presses.TryRead(out _));

        time.Advance(TimeSpan.FromMilliseconds(200));
        driver.PressButton(pins.CaptureButtonPin);
        Assert.True(button.Presses.TryRead(out var second));
        Assert.True(second.At > first.At);
    }
}
