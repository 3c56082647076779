using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

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

    /// <summary>Which rings were lit when each frame was taken, in order.</summary>
    private readonly List<(LightingMode Requested, bool CrossLit, bool NonLit)> _observed = [];

    private (CaptureSequencer Sequencer, List<(LightingMode Requested, bool CrossLit, bool NonLit)> Observed) Build(Func<LightingMode, CancellationToken, Task<CapturedFrame>> capture, TimeSpan? maxOnTime = null)
    {
        var gpio = new GpioController(_driver);
        var illuminator = new GpioIlluminator(gpio, Options.Create(_pins));
        var camera = new FakeCamera((lighting, _, ct) =>
        {
            _observed.Add((lighting, _driver.ValueOf(_pins.CrossPolarisedRingPin) == PinValue.High, _driver.ValueOf(_pins.NonPolarisedRingPin) == PinValue.High));
            return capture(lighting, ct);
        });
        var options = new CaptureOptions { RingSettleTime = TimeSpan.FromMilliseconds(2), MaxRingOnTime = maxOnTime ?? TimeSpan.FromSeconds(3), Width = 64, Height = 48 };
        return (new CaptureSequencer(camera, illuminator, new FrameBufferPool(), TimeProvider.System, Options.Create(options)), _observed);
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
        var (sequencer, observed) = Build(Simulated);

        using var series = await sequencer.CaptureSeriesAsync(CancellationToken.None);

        Assert.Equal([LightingMode.CrossPolarised, LightingMode.NonPolarised], series.Frames.Select(f => f.Lighting));
        Assert.Equal([(LightingMode.CrossPolarised, true, false), (LightingMode.NonPolarised, false, true)], observed);
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
}
