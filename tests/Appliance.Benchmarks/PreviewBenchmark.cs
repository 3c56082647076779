using System.Device.Gpio;
using System.Diagnostics;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Screen;
using Appliance.Firmware.Devices.Simulated;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>preview</c>: the screen's live preview as the appliance runs it, armed for the contact step.
/// The simulated camera renders each frame at 320×240; <see cref="ScreenService"/> scales it into
/// the preview region and sends it through the binding's ILI9341 driver to the simulated SPI
/// controller, which decodes every byte. The frame rate is capped at the most the settings allow
/// (60), so the figure shows the headroom over the 15 the issue asks for; the latency is from the
/// camera handing over a frame to its last byte leaving the driver (median). The SPI bus of the
/// simulation takes no time: the time the real bus takes for the same bytes at the configured
/// clock is given beside it, and the two added. Measured reference, same run: the same region
/// written straight through the panel, and the latency's ratio to it.
/// </summary>
internal static class PreviewBenchmark
{
    public static async Task RunAsync(TimeSpan duration)
    {
        var options = new ScreenOptions { Enabled = true, PreviewFramesPerSecond = 60 };
        using var driver = new SimulatedGpioDriver(TimeProvider.System);
        using var gpio = new GpioController(driver);
        var display = new SimulatedSpiDisplay(gpio, options.DataCommandPin, options.BacklightPin, options.ClockHz);
        using var panel = new Ili9341Panel(display, gpio, options);
        using var arbiter = new CameraArbiter();
        var feed = new StatusFeed(new WorkSignal());
        using var screen = new ScreenService(panel, new SimulatedPreviewSource(new SimulatedCamera(), new SimulatedOverviewCamera(), TimeProvider.System), arbiter, new FakeIlluminator(),
            feed, new HostLink(), new WipeSignal(), Options.Create(options), Options.Create(new OverviewOptions()), TimeProvider.System, NullLogger<ScreenService>.Instance);
        var shown = new List<PreviewShown>();
        var warm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        screen.PreviewFrameShown += frame =>
        {
            lock (shown)
            {
                shown.Add(frame);
                if (shown.Count == 10)
                {
                    warm.TrySetResult();
                }
            }
        };

        await screen.StartAsync(CancellationToken.None);
        feed.Publish(new ApplianceStatus("bench-appliance", ApplianceState.Armed, "0.1.0", 0, TimeProvider.System.GetUtcNow(), "bench-job"));
        await warm.Task.WaitAsync(TimeSpan.FromSeconds(60));
        int first;
        long bytesBefore;
        lock (shown)
        {
            (first, bytesBefore) = (shown.Count, display.BytesReceived);
        }

        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        List<PreviewShown> measured;
        long bytesAfter;
        lock (shown)
        {
            measured = shown[first..];
            bytesAfter = display.BytesReceived;
        }

        var elapsed = clock.Elapsed;
        await screen.StopAsync(CancellationToken.None);

        // Reference, same run: the same region's bytes written straight through the panel (the driver
        // and the simulated controller alone, no scaling), median of as many writes as frames shown.
        var region = new byte[ScreenLayout.Preview.Width * ScreenLayout.Preview.Height * 2];
        var writes = new List<double>();
        for (var i = 0; i < Math.Max(20, measured.Count); i++)
        {
            var start = Stopwatch.GetTimestamp();
            panel.Write(ScreenLayout.Preview, region);
            writes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        var latencies = measured.Select(f => Stopwatch.GetElapsedTime(f.CameraTimestamp, f.ShownTimestamp).TotalMilliseconds).ToList();
        var bytesPerFrame = (bytesAfter - bytesBefore) / (double)Math.Max(1, measured.Count);
        var spiFrameMs = bytesPerFrame * 8 / options.ClockHz * 1000;
        var latency = DemoCycleBenchmark.Median(latencies);
        DemoCycleBenchmark.Bench("preview_fps", measured.Count / elapsed.TotalSeconds, "fps");
        DemoCycleBenchmark.Bench("preview_latency_ms", latency, "ms");
        var panelWrite = DemoCycleBenchmark.Median(writes);
        DemoCycleBenchmark.Bench("reference_panel_write_ms", panelWrite, "ms");
        DemoCycleBenchmark.Bench("preview_latency_vs_panel_write_ratio", latency / panelWrite, "x");
        DemoCycleBenchmark.Bench("preview_spi_bytes_per_frame", bytesPerFrame, "bytes");
        DemoCycleBenchmark.Bench("reference_spi_frame_ms", spiFrameMs, "ms");
        DemoCycleBenchmark.Bench("preview_latency_with_spi_ms", latency + spiFrameMs, "ms");
        DemoCycleBenchmark.Bench("preview_fps_bus_limit", 1000 / spiFrameMs, "fps");
        DemoCycleBenchmark.Bench("preview_frames", measured.Count, "count");
    }
}
