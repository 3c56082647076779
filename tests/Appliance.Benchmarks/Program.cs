using Appliance.Benchmarks;

// dotnet run -c Release --project tests/Appliance.Benchmarks -- <name> [--quick]
// --quick: the same benchmark at a few seconds' size (small counts, small frames), as the test
// suite runs every one of them, so a benchmark that no longer runs fails CI. Its figures are
// not the published ones.
var benchmarks = new Dictionary<string, (string Description, Func<bool, Task> Run)>
{
    ["demo-cycle"] = ("button press to filed on the embedded suite (median of 15), against a QoS 1 publish of the same bytes", quick => DemoCycleBenchmark.RunAsync(quick ? 2 : 15)),
    ["capture-series"] = ("button to stored for a 12 MP two-frame series (median of 9), quality checks per frame, peak resident set", quick =>
        quick ? CaptureSeriesBenchmark.RunAsync(1, 640, 480) : CaptureSeriesBenchmark.RunAsync(9)),
    ["seal"] = ("sealing a 12 MP frame against NSec's raw XChaCha20-Poly1305 on the same bytes (median of 15)", quick =>
    {
        SealBenchmark.Run(quick ? 2 : 15);
        return Task.CompletedTask;
    }),
    ["wipe"] = ("crypto-erase with 1 and with 500 unsent series; the store's write of a series with fsync", quick => WipeBenchmark.RunAsync(quick ? 20 : 500)),
    ["crash"] = ("200 SIGKILLs of the firmware during capture, store and upload, with restarts: lost, duplicated, unopenable", quick => CrashBenchmark.RunAsync(quick ? 4 : 200)),
    ["upload"] = ("50 MB through our chunked transfer against mosquitto_pub -f of the same bytes to the same broker and TLS (median of 9)", quick =>
        quick ? UploadBenchmark.RunAsync(1, 4 * 1000 * 1000) : UploadBenchmark.RunAsync(9)),
    ["fleet-load"] = ("200 appliances over mutual TLS each finishing a two-frame series at once: filed, lost, duplicated, p50/p95 to receipt", quick => FleetLoadBenchmark.RunAsync(quick ? 4 : 200)),
    ["fleet-load-scaled"] = ("1,000 appliances through mosquitto to two host processes sharing only PostgreSQL, Orthanc and a secrets folder (and again with one SIGKILLed, and with one host): filed, lost, duplicated, in the PACS, p50/p95 to receipt", quick =>
        FleetLoadScaledBenchmark.RunAsync(quick ? 6 : 1000, quick ? 32 : 96)),
    ["remote-wipe"] = ("admin's wipe request to the appliance's signed confirmation, online on loopback (median of 7), against the appliance's own erase time", quick => RemoteWipeBenchmark.RunAsync(quick ? 2 : 7)),
    ["calibration"] = ("colour calibration on simulated target frames (known distortion, vignetting, noise): CIEDE2000 on held-out patches before and after, scale error, per ring (median of 7 seeds, 640x480)", quick =>
    {
        CalibrationBenchmark.Run(quick ? 1 : 7, 640, 480);
        return Task.CompletedTask;
    }),
    ["lesion-measure"] = ("lesion area, longest diameter and colour change on 100 simulated lesions at two visits through two calibrated simulated cameras, and the two visits' registration, against the truth (640x480)", quick =>
    {
        LesionMeasureBenchmark.Run(quick ? 4 : 100, quick ? 320 : 640, quick ? 240 : 480);
        return Task.CompletedTask;
    }),
    ["qc-accuracy"] = ("quality checks against a labelled set of 1,200 simulated 640x480 frames: precision and recall per defect", quick =>
    {
        QcAccuracyBenchmark.Run(quick ? 30 : 600);
        return Task.CompletedTask;
    }),
    ["arm64-smoke"] = ("the firmware for the Pi (linux-arm64) under qemu against an x64 host: enrolled, self-tested, calibrated, 3 series filed and deleted, wiped remotely", quick =>
        Arm64SmokeBenchmark.RunAsync(quick ? 1 : 3)),
    ["qc-real"] = ("quality checks on two-frame series made from real photographs (24 per photograph), scored on the half the thresholds were not chosen on", quick =>
    {
        QcRealBenchmark.Run(quick ? 2 : 24, quick ? 2 : null);
        return Task.CompletedTask;
    }),
    ["qc-overview"] = ("the overview's checks on bursts made from real photographs (24 per photograph, the scoring half) and on 400 simulated overviews: precision and recall per defect", quick =>
    {
        QcOverviewBenchmark.Run(quick ? 2 : 24, quick ? 2 : null, quick ? 20 : 400);
        return Task.CompletedTask;
    }),
    ["preview"] = ("the screen's live preview, simulated camera to the ILI9341 driver and a simulated SPI controller at 320x240 (10 s armed): frames a second, camera frame to its last SPI byte (median), and the real bus's time for the same bytes at the configured clock", quick =>
        PreviewBenchmark.RunAsync(TimeSpan.FromSeconds(quick ? 1 : 10))),
    ["ota-rollout"] = ("a staged firmware rollout to 50 firmware processes, each capturing (a patient every 30 s): bad packages refused, a bad release rolled back by its canaries, the good one to all; against the same bytes as plain QoS 1", quick =>
        quick ? OtaRolloutBenchmark.RunAsync(3, 1, TimeSpan.FromSeconds(1)) : OtaRolloutBenchmark.RunAsync(50, 5, TimeSpan.FromSeconds(30))),
};

if (args.Length == 5 && args[0] == CaptureSeriesBenchmark.WorkerName)
{
    static int Number(string text) => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    await CaptureSeriesBenchmark.RunWorkerAsync(args[1], Number(args[2]), Number(args[3]), Number(args[4]));
    return 0;
}

if (args.Length == 0)
{
    Console.WriteLine("Benchmarks (run one by name):");
    foreach (var (name, (description, _)) in benchmarks)
    {
        Console.WriteLine($"  {name,-15} {description}");
    }

    return 0;
}

if (!benchmarks.TryGetValue(args[0], out var benchmark) || args.Length > 2 || (args.Length == 2 && args[1] != "--quick"))
{
    Console.Error.WriteLine($"No benchmark '{string.Join(' ', args)}'. Run without arguments to list them; add --quick for the small run.");
    return 2;
}

await benchmark.Run(args.Length == 2);
return 0;
