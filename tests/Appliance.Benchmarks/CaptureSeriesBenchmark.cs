using System.Diagnostics;
using System.Threading.Channels;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>capture-series</c>: button press to series stored for a 12 MP (4056×3040) two-frame
/// series, on the firmware's own composition (core, devices, encrypted store) with the
/// simulator's frames. The frames are rendered before timing starts and handed out by a camera
/// that decodes them from BMP files, as the rpicam backend does, so the simulated exposure and
/// the ring settle time are not in the figure. Also times the quality checks alone per frame,
/// and the peak resident set of this process during the captures (VmHWM, reset before each).
/// </summary>
internal static class CaptureSeriesBenchmark
{
    private const int Width = 4056;
    private const int Height = 3040;

    public static async Task RunAsync(int captures)
    {
        var root = Path.Combine(Path.GetTempPath(), $"appliance-capture-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var camera = RenderFrames(root);
            using var host = BuildFirmware(root, camera);
            await host.StartAsync();
            var coordinator = host.Services.GetRequiredService<CaptureCoordinator>();
            var driver = host.Services.GetRequiredService<SimulatedGpioDriver>();
            var pins = host.Services.GetRequiredService<IOptions<PinMapOptions>>().Value;
            var status = host.Services.GetRequiredService<StatusFeed>().Reader;

            var times = new List<double>();
            long peakBytes = 0;
            for (var i = 0; i <= captures; i++)
            {
                // "accepted" is reported just before the state machine lets go of the series; arm once it has.
                while (!await coordinator.ArmAsync(Job(i), CancellationToken.None))
                {
                    await Task.Delay(5);
                }

                await Drain(status);
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
                ResetPeakResidentSet();
                var clock = Stopwatch.StartNew();
                driver.PressButton(pins.CaptureButtonPin);
                var outcome = await WaitForOutcomeAsync(status);
                clock.Stop();
                if (outcome.State != "accepted")
                {
                    throw new InvalidOperationException($"capture {i} ended {outcome.State}: {outcome.Reason}");
                }

                var peak = PeakResidentSetBytes();
                if (i == 0)
                {
                    continue; // warm-up: JIT, first store write
                }

                times.Add(clock.Elapsed.TotalMilliseconds);
                peakBytes = Math.Max(peakBytes, peak);
            }

            var qcTimes = TimeQualityChecks(camera, host.Services.GetRequiredService<SeriesQualityChecker>(), captures);
            await host.StopAsync();

            DemoCycleBenchmark.Bench("capture_series_ms", DemoCycleBenchmark.Median(times), "ms");
            DemoCycleBenchmark.Bench("capture_series_max_ms", times.Max(), "ms");
            DemoCycleBenchmark.Bench("qc_frame_ms", DemoCycleBenchmark.Median(qcTimes), "ms");
            DemoCycleBenchmark.Bench("capture_peak_ws_mb", peakBytes / (1024.0 * 1024.0), "MB");
            DemoCycleBenchmark.Bench("capture_frame_mp", Width * Height / 1e6, "MP");
            DemoCycleBenchmark.Bench("capture_count", times.Count, "series");
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    private static List<double> TimeQualityChecks(BmpFileCamera camera, SeriesQualityChecker checker, int runs)
    {
        var settings = new CameraSettings(Width, Height, TimeSpan.Zero, 1, 1, 1, 0);
        var frames = CaptureSequencer.Order.Select(l => camera.CaptureAsync(l, settings, CancellationToken.None).Result).ToList();
        var times = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var clock = Stopwatch.StartNew();
            var report = checker.Check(frames);
            clock.Stop();
            if (!report.Accepted)
            {
                throw new InvalidOperationException($"the benchmark's frames fail the checks: {string.Join(", ", report.Reasons)}");
            }

            if (i > 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds / frames.Count);
            }
        }

        return times;
    }

    private static BmpFileCamera RenderFrames(string root)
    {
        var scene = new SimulatedScene();
        var files = new Dictionary<LightingMode, string>();
        foreach (var lighting in CaptureSequencer.Order)
        {
            var frame = SimulatedCamera.Render(scene, lighting, Width, Height, lighting == LightingMode.NonPolarised);
            var path = Path.Combine(root, $"{lighting}.bmp");
            File.WriteAllBytes(path, Bmp24.Encode(Width, Height, frame.Pixels));
            files[lighting] = path;
        }

        return new BmpFileCamera(files);
    }

    private static IHost BuildFirmware(string root, BmpFileCamera camera)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = root });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Devices:Mode"] = "Simulated",
            ["Capture:Width"] = Width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Capture:Height"] = Height.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Capture:RingSettleTime"] = "00:00:00",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole();
        var (_, hostPublic) = SeriesSealing.CreateHostKeyPair();
        builder.Services.AddSingleton(new ApplianceIdentity("bench-appliance-01", ApplianceIdentity.CurrentFirmwareVersion, hostPublic));
        builder.AddApplianceCore();
        builder.AddApplianceDevices();
        builder.AddApplianceStorage(root, _ => "bench-store-secret");
        builder.Services.AddSingleton<ICamera>(camera);
        return builder.Build();
    }

    private static CaptureJob Job(int i) => new(
        $"bench-job-{i}",
        $"EP-BENCH{i:D5}",
        "back",
        ConsentScope.DirectCare,
        DateTimeOffset.UtcNow,
        DateTimeOffset.UtcNow.AddMinutes(10));

    private static async Task Drain(ChannelReader<ApplianceStatus> status)
    {
        await Task.Yield();
        while (status.TryRead(out _))
        {
        }
    }

    private static async Task<ApplianceStatus> WaitForOutcomeAsync(ChannelReader<ApplianceStatus> status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await foreach (var s in status.ReadAllAsync(timeout.Token))
        {
            if (s.State is "accepted" or "retake" or "fault")
            {
                return s;
            }
        }

        throw new InvalidOperationException("status feed ended");
    }

    /// <summary>Writing 5 to clear_refs resets the kernel's high-water mark of the resident set (VmHWM).</summary>
    private static void ResetPeakResidentSet() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long PeakResidentSetBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return kb * 1024;
    }

    /// <summary>A camera that decodes pre-rendered frames from BMP files, the way the rpicam backend reads its output.</summary>
    private sealed class BmpFileCamera(IReadOnlyDictionary<LightingMode, string> files) : ICamera
    {
        public async Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken)
        {
            var bytes = await File.ReadAllBytesAsync(files[lighting], cancellationToken);
            if (!Bmp24.TryDecode(bytes, out var width, out var height, out var rgb, out var error))
            {
                throw new CaptureFaultException(error);
            }

            return new CapturedFrame(lighting, width, height, CapturedFrame.Rgb24, rgb);
        }
    }
}
