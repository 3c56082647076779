using System.Device.Gpio;
using System.Diagnostics;
using System.Threading.Channels;
using Appliance.Calibration;
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
/// <c>capture-series</c>: button release (a capture starts on release) to series stored for a 12 MP (4056×3040) two-frame
/// series, on the firmware's own composition (core, devices, encrypted store, and the calibration
/// a calibration run made at the same resolution, as on an appliance) with the simulator's frames. The frames are rendered before timing starts and handed out by a camera
/// that decodes them from BMP files, as the rpicam backend does, so the simulated exposure and
/// the ring settle time are not in the figure. Also times the quality checks alone per frame,
/// and the peak resident set of the firmware process during the captures (VmHWM, reset before
/// each). The firmware runs in a child process of its own, so that neither the rendering nor
/// this driver is counted in its memory.
/// </summary>
internal static class CaptureSeriesBenchmark
{
    public const string WorkerName = "capture-series-worker";

    /// <param name="captures">Series timed (after one warm-up).</param>
    /// <param name="width">Frame width: 4056 (12 MP) for the figures; 640 for the quick run the tests make.</param>
    /// <param name="height">Frame height: 3040, or 480.</param>
    public static async Task RunAsync(int captures, int width = 4056, int height = 3040)
    {
        var root = Path.Combine(Path.GetTempPath(), $"appliance-capture-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            RenderFrames(root, width, height);
            Calibrate(root, width, height);
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            start.ArgumentList.Add(WorkerName);
            start.ArgumentList.Add(root);
            start.ArgumentList.Add(captures.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(width.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(height.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var worker = Process.Start(start)!;
            while (await worker.StandardOutput.ReadLineAsync() is { } line)
            {
                Console.WriteLine(line);
            }

            await worker.WaitForExitAsync();
            if (worker.ExitCode != 0)
            {
                throw new InvalidOperationException($"the firmware worker exited with {worker.ExitCode}");
            }
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    /// <summary>The firmware side: its own process, reading the frames <see cref="RunAsync"/> rendered.</summary>
    public static async Task RunWorkerAsync(string root, int captures, int width, int height)
    {
        {
            var files = CaptureSequencer.Order.ToDictionary(l => l, l => FramePath(root, l));
            using var host = BuildFirmware(root, files, width, height);
            await host.StartAsync();
            var coordinator = host.Services.GetRequiredService<CaptureCoordinator>();
            var driver = host.Services.GetRequiredService<SimulatedGpioDriver>();
            var pins = host.Services.GetRequiredService<IOptions<PinMapOptions>>().Value;
            var status = host.Services.GetRequiredService<StatusFeed>().Reader;

            var store = host.Services.GetRequiredService<ISeriesStore>();
            var times = new List<double>();
            long peakBytes = 0;
            long idleBytes = 0;
            for (var i = 0; i <= captures; i++)
            {
                // "accepted" is reported just before the state machine lets go of the series; arm once it has
                // (a few tries, not for ever: an appliance that refuses to arm is a broken benchmark).
                var armed = false;
                for (var attempt = 0; attempt < 400 && !armed; attempt++)
                {
                    armed = await coordinator.ArmAsync(Job(i), CancellationToken.None);
                    if (!armed)
                    {
                        await Task.Delay(5);
                    }
                }

                Assert(armed, $"the appliance armed for capture {i} (state {coordinator.State})");

                await Drain(status);
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
                ResetPeakResidentSet();
                var idle = ResidentSetBytes();
                // A press of a tenth of a second; the capture starts on release (a hold would cancel).
                driver.DriveInput(pins.CaptureButtonPin, PinValue.Low);
                await Task.Delay(100);
                var clock = Stopwatch.StartNew();
                driver.DriveInput(pins.CaptureButtonPin, PinValue.High);
                var outcome = await WaitForOutcomeAsync(status);
                clock.Stop();
                if (outcome.State != ApplianceState.Accepted)
                {
                    throw new InvalidOperationException($"capture {i} ended {outcome.State}: {outcome.Reason}");
                }

                var peak = ProcStatusBytes("VmHWM:");
                // As on a working appliance, where the host's receipt deletes each series
                // moments later; the store's files then reuse the same page cache.
                Assert(await store.DeleteAsync(outcome.SeriesId!, CancellationToken.None), "the series was stored");
                if (i == 0)
                {
                    continue; // warm-up: JIT, first store write, the pool's first buffers
                }

                times.Add(clock.Elapsed.TotalMilliseconds);
                peakBytes = Math.Max(peakBytes, peak);
                idleBytes = Math.Max(idleBytes, idle);
            }

            var qcTimes = TimeQualityChecks(host.Services.GetRequiredService<ICamera>(), host.Services.GetRequiredService<SeriesQualityChecker>(), captures, width, height);
            await host.StopAsync();

            var aead = TimeRawAead(captures, width, height);
            var median = DemoCycleBenchmark.Median(times);
            DemoCycleBenchmark.Bench("capture_series_ms", median, "ms");
            DemoCycleBenchmark.Bench("capture_series_max_ms", times.Max(), "ms");
            DemoCycleBenchmark.Bench("qc_frame_ms", DemoCycleBenchmark.Median(qcTimes), "ms");
            DemoCycleBenchmark.Bench("capture_peak_ws_mb", peakBytes / (1024.0 * 1024.0), "MB");
            DemoCycleBenchmark.Bench("capture_idle_ws_mb", idleBytes / (1024.0 * 1024.0), "MB");
            DemoCycleBenchmark.Bench("capture_frame_mp", width * height / 1e6, "MP");
            DemoCycleBenchmark.Bench("capture_count", times.Count, "series");
            DemoCycleBenchmark.Bench("reference_raw_aead_ms", DemoCycleBenchmark.Median(aead), "ms");
            DemoCycleBenchmark.Bench("capture_series_vs_aead_ratio", median / DemoCycleBenchmark.Median(aead), "x");
        }
    }

    private static List<double> TimeQualityChecks(ICamera camera, SeriesQualityChecker checker, int runs, int width, int height)
    {
        var settings = new CameraSettings(width, height, TimeSpan.Zero, 1, 1, 1, 0);
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

    /// <summary>
    /// The reference: XChaCha20-Poly1305 over the same bytes as a series (two 12 MP frames),
    /// one after the other, with nothing else: the floor under sealing them.
    /// </summary>
    private static List<double> TimeRawAead(int runs, int width, int height)
    {
        var algorithm = NSec.Cryptography.AeadAlgorithm.XChaCha20Poly1305;
        using var key = NSec.Cryptography.Key.Create(algorithm);
        var plaintext = new byte[width * height * 3];
        new Random(3).NextBytes(plaintext);
        var ciphertext = new byte[plaintext.Length + algorithm.TagSize];
        var nonce = new byte[algorithm.NonceSize];
        var times = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var clock = Stopwatch.StartNew();
            for (var frame = 0; frame < 2; frame++)
            {
                nonce[0] = (byte)((2 * i) + frame);
                algorithm.Encrypt(key, nonce, [], plaintext, ciphertext);
            }

            if (i > 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return times;
    }

    private static void RenderFrames(string root, int width, int height)
    {
        var scene = new SimulatedScene();
        foreach (var lighting in CaptureSequencer.Order)
        {
            var frame = SimulatedCamera.Render(scene, lighting, width, height, lighting == LightingMode.NonPolarised);
            File.WriteAllBytes(FramePath(root, lighting), Bmp24.Encode(width, height, frame.Pixels));
        }
    }

    private static string FramePath(string root, LightingMode lighting) => Path.Combine(root, $"{lighting}.bmp");

    private static IHost BuildFirmware(string root, Dictionary<LightingMode, string> files, int width, int height)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = root });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Devices:Mode"] = "Simulated",
            // The benchmark presses the simulated button itself.
            ["Devices:ManualControls"] = "false",
            ["Capture:Width"] = width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Capture:Height"] = height.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Capture:RingSettleTime"] = "00:00:00",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole();
        if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1")
        {
            builder.Logging.AddFilter("Appliance.Firmware.Core.CaptureCoordinator", LogLevel.Information);
        }

        var identity = Identity(root);
        builder.Services.AddSingleton(identity);
        // The profile the calibration run left (see Calibrate), loaded and checked as at a start.
        var calibrationStore = new FileCalibrationStore(root, identity);
        Assert(calibrationStore.Current is not null, "the calibration profile loads");
        var calibration = new CalibrationOptions { CameraToSrgb = new SimulatedOptics().MeasuredCharacterisation(TargetSheet.Default()) };
        builder.Services.AddSingleton<ICalibrationState>(calibrationStore);
        builder.Services.AddSingleton<ICalibrationStore>(calibrationStore);
        builder.Services.AddSingleton(Options.Create(calibration));
        builder.AddApplianceCore();
        builder.AddApplianceDevices();
        builder.AddApplianceStorage(root, _ => "bench-store-secret");
        builder.Services.AddSingleton<ICamera>(sp => new BmpFileCamera(files, sp.GetRequiredService<FrameBufferPool>()));
        return builder.Build();
    }

    /// <summary>
    /// Calibrated as an appliance is before it may arm: a calibration run on the white card and the
    /// target through the same simulated optics, at the capture's own resolution, whose signed
    /// profile the firmware then loads. Run here, not in the firmware's process: the simulator's
    /// rendering of the cards is not on an appliance, and its buffers would sit in the figure.
    /// </summary>
    private static void Calibrate(string root, int width, int height)
    {
        var identity = Identity(root);
        var optics = new SimulatedOptics();
        var (profile, refusal) = Appliance.Demo.SimulatedCalibration.Run(optics, identity, new CalibrationOptions { CameraToSrgb = optics.MeasuredCharacterisation(TargetSheet.Default()) }, width, height);
        new FileCalibrationStore(root, identity).Save(profile ?? throw new InvalidOperationException($"the simulated target did not calibrate: {refusal}"));
    }

    /// <summary>The benchmark appliance's identity, the same in both processes: its signing key kept in the work folder.</summary>
    private static ApplianceIdentity Identity(string root)
    {
        var keyPath = Path.Combine(root, "signing.key");
        if (!File.Exists(keyPath))
        {
            File.WriteAllBytes(keyPath, SeriesSigning.CreateKeyPair().PrivateKey);
            File.WriteAllBytes(Path.Combine(root, "sealing.pub"), SeriesSealing.CreateHostKeyPair().PublicKey);
        }

        return new ApplianceIdentity("bench-appliance-01", ApplianceIdentity.CurrentFirmwareVersion, File.ReadAllBytes(Path.Combine(root, "sealing.pub")), File.ReadAllBytes(keyPath));
    }

    private static CaptureJob Job(int i) => new(
        $"bench-job-{i}",
        EpisodeCodes.New(),
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
            if (s.State is ApplianceState.Accepted or ApplianceState.Retake or ApplianceState.Fault)
            {
                return s;
            }
        }

        throw new InvalidOperationException("status feed ended");
    }

    /// <summary>Writing 5 to clear_refs resets the kernel's high-water mark of the resident set (VmHWM).</summary>
    private static void ResetPeakResidentSet() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long ResidentSetBytes() => ProcStatusBytes("VmRSS:");

    private static long ProcStatusBytes(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        var kb = long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return kb * 1024;
    }

    private static void Assert(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"expected: {what}");
        }
    }

    /// <summary>A camera that decodes pre-rendered frames from BMP files, the way the rpicam backend reads its output.</summary>
    private sealed class BmpFileCamera(IReadOnlyDictionary<LightingMode, string> files, FrameBufferPool pool) : ICamera
    {
        public async Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken)
        {
            await using var file = new FileStream(files[lighting], FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            if (!Bmp24.TryDecode(file, pool.RentBytes, out var width, out var height, out var rgb, out var error))
            {
                throw new CaptureFaultException(error);
            }

            return new CapturedFrame(lighting, width, height, CapturedFrame.Rgb24, rgb);
        }
    }
}
