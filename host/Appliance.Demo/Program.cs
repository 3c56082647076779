using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Protocol;

// The embedded default, end to end: host, broker and a simulated appliance on 127.0.0.1.
// A calibration run, one capture job with an overview: a press for the overview, a press for the
// dermoscopic pair, the series filed and confirmed, then exit 0.
var dataRoot = args.Length > 0 ? Path.GetFullPath(args[0]) : Path.Combine(Path.GetTempPath(), $"appliance-suite-demo-{TimeProvider.System.GetUtcNow():yyyyMMdd-HHmmss}");
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(80));
try
{
    Console.WriteLine($"Starting host, broker (mutual TLS) and a simulated appliance on 127.0.0.1; data in {dataRoot}");
    await using var suite = await EmbeddedSuite.StartAsync(dataRoot, applianceSettings: SuiteScreen.Enabled, cancellationToken: timeout.Token);
    Console.WriteLine($"Appliance {suite.DeviceId} online; host pages at {suite.HostUrl}");
    Console.WriteLine("Calibrating from the host: white card under the head, press; colour target, press…");
    var profile = await suite.CalibrateAsync(timeout.Token);
    var rings = string.Join("; ", profile.Rings.Select(r => $"{r.Ring} ΔE00 {r.DeltaEMeanBefore:F1} → {r.DeltaEMeanAfter:F2} on held-out patches, {r.PixelsPerMillimetre:F1} px/mm"));
    Console.WriteLine($"Profile {profile.ProfileId} signed by the appliance and received by the host (valid until {profile.ExpiresAt:yyyy-MM-dd}): {rings}");

    var job = await suite.CreateJobAndWaitArmedAsync("DEMO-PATIENT-0001", "left forearm", ConsentScope.DirectCare, timeout.Token, overview: true);
    Console.WriteLine($"Capture job {job.JobId} sent as episode {job.EpisodeCode} (the patient identifier stayed on the host); appliance armed, asking for the overview first");
    var screenshot = Path.Combine(dataRoot, "screen-armed.bmp");
    var screen = await suite.SaveScreenAsync(screenshot, c => c.Preview == Appliance.Firmware.Devices.Screen.PreviewCamera.Overview, timeout.Token);
    Console.WriteLine($"The appliance's screen shows the job's code {screen.JobCode} (the job's page shows the same) and the overview camera's live view: {screenshot}");

    Console.WriteLine("Pressing capture with the head held 20–40 cm away (the lesion and the wrist in view)…");
    await suite.TakeOverviewAsync(timeout.Token);
    Console.WriteLine("Overview accepted by the appliance's checks and held; pressing capture with the head on the lesion…");
    var cycle = await suite.PressAndWaitFiledAsync(timeout.Token);
    var series = cycle.Filed;
    var archive = suite.HostService<ISeriesArchive>();
    var frames = string.Join(", ", series.DermoscopicFrames.Select(f => $"{f.Lighting} sha256 {f.Sha256[..12]}…"));
    Console.WriteLine($"Series {series.SeriesId} filed under calibration {series.CalibrationId}: {frames}");
    if (series.Overview is { } overview)
    {
        Console.WriteLine($"Overview filed as frame {overview.Index} of the same series: {overview.Width}×{overview.Height} in the room's light, sha256 {overview.Sha256[..12]}… (a VL Photographic Image, XC, in its DICOM export)");
    }
    Console.WriteLine($"Filed in the encrypted archive at {archive.Location} as {series.ArchiveReference} (frames under {Path.GetDirectoryName(Path.Combine(archive.Location, series.Frames[0].StoredAs))})");
    Console.WriteLine($"Button to filed: {cycle.ButtonToFiled.TotalMilliseconds:F0} ms; receipt verified and the appliance deleted its copy after {cycle.ButtonToDeleted.TotalMilliseconds:F0} ms");
    Console.WriteLine();
    Console.WriteLine("To run the host for real: dotnet run --project host/Appliance.Host.Web -- serve --Urls=https://<LAN address>:5443 --Web:ServerNames:0=<host name> --Broker:ListenAddress=<LAN address> --Broker:ServerNames:0=<host name>");
    Console.WriteLine("(pages over HTTPS with a certificate from the host's CA: install <data folder>/ca/ca.pem on the clinic's workstations)");
    Console.WriteLine("add an admin:  dotnet run --project host/Appliance.Host.Web -- user add <name> --role admin --password-file <file>");
    Console.WriteLine("provision an appliance:  dotnet run --project host/Appliance.Host.Web -- provision <device-id> --out <device-id>.enrol.json --Broker:AdvertisedHost=<host name>");
    Console.WriteLine("and install it on the Pi with ./deploy-pi.sh --host <pi> --package <device-id>.enrol.json --broker-host <host> (see docs/operations.md).");
    return 0;
}
catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
{
    Console.Error.WriteLine($"Demo did not complete in time: {ex.Message}");
    return 1;
}
