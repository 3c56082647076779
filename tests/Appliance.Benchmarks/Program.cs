using Appliance.Benchmarks;

// dotnet run -c Release --project tests/Appliance.Benchmarks -- <name>
var benchmarks = new Dictionary<string, (string Description, Func<Task> Run)>
{
    ["demo-cycle"] = ("button press to filed on the embedded suite (median of 15), against a QoS 1 publish of the same bytes", () => DemoCycleBenchmark.RunAsync(15)),
    ["capture-series"] = ("button to stored for a 12 MP two-frame series (median of 9), quality checks per frame, peak resident set", () => CaptureSeriesBenchmark.RunAsync(9)),
    ["seal"] = ("sealing a 12 MP frame against NSec's raw XChaCha20-Poly1305 on the same bytes (median of 15)", () =>
    {
        SealBenchmark.Run(15);
        return Task.CompletedTask;
    }),
    ["wipe"] = ("crypto-erase with 1 and with 500 unsent series; the store's write of a series with fsync", WipeBenchmark.RunAsync),
    ["crash"] = ("200 SIGKILLs of the firmware during capture, store and upload, with restarts: lost, duplicated, unopenable", () => CrashBenchmark.RunAsync(200)),
    ["upload"] = ("50 MB through our chunked transfer against mosquitto_pub -f of the same bytes to the same broker and TLS (median of 5)", () => UploadBenchmark.RunAsync(5)),
    ["fleet-load"] = ("200 appliances over mutual TLS each finishing a two-frame series at once: filed, lost, duplicated, p50/p95 to receipt", () => FleetLoadBenchmark.RunAsync(200)),
    ["remote-wipe"] = ("admin's wipe request to the appliance's signed confirmation, online on loopback (median of 7), against the appliance's own erase time", () => RemoteWipeBenchmark.RunAsync(7)),
    ["calibration"] = ("colour calibration on simulated target frames (known distortion, vignetting, noise): CIEDE2000 on held-out patches before and after, scale error, per ring (median of 7 seeds, 640x480)", () =>
    {
        CalibrationBenchmark.Run(7, 640, 480);
        return Task.CompletedTask;
    }),
    ["qc-accuracy"] = ("quality checks against a labelled set of 1,200 simulated 640x480 frames: precision and recall per defect", () =>
    {
        QcAccuracyBenchmark.Run(600);
        return Task.CompletedTask;
    }),
};

if (args.Length == 3 && args[0] == CaptureSeriesBenchmark.WorkerName)
{
    await CaptureSeriesBenchmark.RunWorkerAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
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

if (!benchmarks.TryGetValue(args[0], out var benchmark))
{
    Console.Error.WriteLine($"No benchmark named '{args[0]}'. Run without arguments to list them.");
    return 2;
}

await benchmark.Run();
return 0;
