using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Appliance.Firmware;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Uplink;
using Appliance.Host.Core;
using Appliance.Host.Core.Calibration;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Web;
using Appliance.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Demo;

/// <summary>What one press of the button led to.</summary>
public sealed record CaptureCycle(FiledSeries Filed, TimeSpan ButtonToFiled, TimeSpan ButtonToDeleted);

/// <summary>
/// The whole system on loopback, with real parts: the host (CA, embedded broker on mutual TLS,
/// archive, pages) and one appliance running the real firmware composition on simulated GPIO
/// and camera. The demo, the end-to-end tests and the benchmarks all drive this.
/// </summary>
public sealed class EmbeddedSuite : IAsyncDisposable
{
    private EmbeddedSuite(string dataRoot, string deviceId, WebApplication host, IHost appliance)
    {
        DataRoot = dataRoot;
        DeviceId = deviceId;
        Host = host;
        Appliance = appliance;
    }

    /// <summary>
    /// A suite from a host and an appliance started elsewhere (an external broker between them,
    /// say); disposing it stops both.
    /// </summary>
    public static EmbeddedSuite Compose(string dataRoot, string deviceId, WebApplication host, IHost appliance) =>
        new(dataRoot, deviceId, host, appliance);

    public string DataRoot { get; }

    public string DeviceId { get; }

    public WebApplication Host { get; }

    public IHost Appliance { get; }

    public string HostUrl => Host.Urls.First();

    /// <summary>The certificate the host's pages are served with (from the host's CA, for loopback here).</summary>
    public X509Certificate2 WebCertificate => HostService<WebCertificate>().Certificate;

    public string ApplianceDataFolder => Path.Combine(DataRoot, "appliance");

    public T HostService<T>() where T : notnull => Host.Services.GetRequiredService<T>();

    public T ApplianceService<T>() where T : notnull => Appliance.Services.GetRequiredService<T>();

    /// <summary>Starts host and appliance under <paramref name="dataRoot"/> and waits until the appliance is online.</summary>
    public static async Task<EmbeddedSuite> StartAsync(
        string dataRoot,
        string deviceId = "demo-appliance-01",
        LogLevel logLevel = LogLevel.Warning,
        IReadOnlyDictionary<string, string?>? applianceSettings = null,
        Action<ILoggingBuilder>? logging = null,
        Action<IServiceCollection>? applianceServices = null,
        IReadOnlyDictionary<string, string?>? hostSettings = null,
        CancellationToken cancellationToken = default)
    {
        var host = await StartHostAsync(dataRoot, logLevel, logging, hostSettings, cancellationToken);

        var broker = host.Services.GetRequiredService<EmbeddedMqttBroker>();
        var bundle = host.Services.GetRequiredService<DeviceProvisioner>().Provision(deviceId, "127.0.0.1", broker.BoundPort);
        var applianceFolder = Path.Combine(dataRoot, "appliance");
        DeviceProvisioner.WriteBundle(bundle, Path.Combine(applianceFolder, "bundle.json"));

        var fleet = host.Services.GetRequiredService<FleetState>();
        var online = WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.DeviceId == deviceId);

        var appliance = BuildAppliance(applianceFolder, logLevel, applianceSettings, logging, applianceServices);
        await appliance.StartAsync(cancellationToken);
        var suite = new EmbeddedSuite(dataRoot, deviceId, host, appliance);
        try
        {
            await online.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await suite.DisposeAsync();
            throw;
        }

        return suite;
    }

    /// <summary>The host alone (CA, embedded broker on an ephemeral port, archive, pages) on 127.0.0.1, data under <paramref name="dataRoot"/>/host.</summary>
    public static async Task<WebApplication> StartHostAsync(
        string dataRoot,
        LogLevel logLevel = LogLevel.Warning,
        Action<ILoggingBuilder>? logging = null,
        IReadOnlyDictionary<string, string?>? hostSettings = null,
        CancellationToken cancellationToken = default)
    {
        // Patient data and keys go in here: owner-only, like everything the host and appliance write.
        OwnerOnlyFiles.CreateFolder(dataRoot);
        var host = HostWebApplication.Create(
            [],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Urls"] = "https://127.0.0.1:0",
                    ["Host:DataFolder"] = Path.Combine(dataRoot, "host"),
                    ["Broker:ListenAddress"] = "127.0.0.1",
                    ["Broker:Port"] = "0",
                    ["Broker:AdvertisedHost"] = "127.0.0.1",
                    ["Logging:LogLevel:Default"] = logLevel.ToString(),
                });
                if (hostSettings is not null)
                {
                    builder.Configuration.AddInMemoryCollection(hostSettings);
                }

                logging?.Invoke(builder.Logging);
            },
            contentRoot: dataRoot);
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>The real firmware composition with simulated devices, configured in memory only.</summary>
    /// <param name="services">Replacements applied after the firmware's own registrations (a load test's in-memory store, say).</param>
    public static IHost BuildAppliance(string dataFolder, LogLevel logLevel, IReadOnlyDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "appliance-firmware",
            ContentRootPath = dataFolder,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Firmware:DataFolder"] = dataFolder,
            ["Devices:Mode"] = "Simulated",
            // This program presses the simulated button itself.
            ["Devices:ManualControls"] = "false",
            ["Uplink:ReconnectDelayMin"] = "00:00:00.200",
            ["Uplink:ReconnectDelayMax"] = "00:00:02",
            // A development machine may well have Bluetooth or a sync client: report, do not block.
            ["Integrity:WarnOnly"] = "true",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        logging?.Invoke(builder.Logging);
        // A provisioned simulated appliance is calibrated against the simulated target before it first runs.
        SimulatedCalibration.InstallIfMissing(dataFolder, TimeSpan.FromDays(30));
        builder.AddApplianceFirmware();
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Creates a capture job on the host (with an overview first if asked) and waits until the appliance reports it is armed.</summary>
    public async Task<CaptureJobRecord> CreateJobAndWaitArmedAsync(string patientId, string bodySite, ConsentScope consent, CancellationToken cancellationToken, string? lesionLabel = null, bool overview = false)
    {
        var fleet = HostService<FleetState>();
        var jobs = HostService<CaptureJobService>();
        // The armed report can come back before CreateAsync returns the job id, so note every armed job from now on.
        var armedJobs = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var pulse = new SemaphoreSlim(0);
        EventHandler<ApplianceStatus> onStatus = (_, s) =>
        {
            if (s.DeviceId == DeviceId && s.State == ApplianceState.Armed && s.JobId is not null)
            {
                armedJobs[s.JobId] = true;
                pulse.Release();
            }
        };
        fleet.StatusReceived += onStatus;
        try
        {
            var job = await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, patientId, bodySite, consent, lesionLabel) with { Overview = overview }, "demo", cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (!armedJobs.ContainsKey(job.JobId))
            {
                await pulse.WaitAsync(timeout.Token);
            }

            return job;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"appliance {DeviceId} did not report armed within 30 s");
        }
        finally
        {
            // The semaphore is not disposed: a status already in flight may still release it.
            fleet.StatusReceived -= onStatus;
        }
    }

    /// <summary>
    /// The overview step: a press with the head held away from the skin, then the appliance's
    /// status asking for the head on the lesion. Throws with the appliance's reason if it asks for
    /// the overview again.
    /// </summary>
    public async Task TakeOverviewAsync(CancellationToken cancellationToken)
    {
        var fleet = HostService<FleetState>();
        var next = WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s =>
            s.DeviceId == DeviceId && ((s.State == ApplianceState.Armed && s.Step == CaptureStep.Contact) || s.State is ApplianceState.Retake or ApplianceState.Fault));
        PressButton();
        var status = await next.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        if (status.State != ApplianceState.Armed)
        {
            throw new InvalidOperationException($"the overview was not taken: {status.State.Name()} {status.Reason}");
        }
    }

    /// <summary>Presses the capture button and waits until the series is filed on the host and deleted on the appliance.</summary>
    public async Task<CaptureCycle> PressAndWaitFiledAsync(CancellationToken cancellationToken)
    {
        var filing = HostService<SeriesFilingService>();
        var handler = ApplianceService<HostMessageHandler>();
        var filed = WaitFor<FiledSeries>(h => filing.Filed += h, h => filing.Filed -= h, s => s.DeviceId == DeviceId);
        var deleted = WaitFor<FiledReceipt>(h => handler.SeriesDeleted += h, h => handler.SeriesDeleted -= h, _ => true);

        var clock = Stopwatch.StartNew();
        PressButton();
        var series = await filed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var toFiled = clock.Elapsed;
        var receipt = await deleted.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var toDeleted = clock.Elapsed;
        if (receipt.SeriesId != series.SeriesId)
        {
            throw new InvalidOperationException($"the appliance deleted {receipt.SeriesId}, not the series just filed ({series.SeriesId})");
        }

        return new CaptureCycle(series, toFiled, toDeleted);
    }

    /// <summary>
    /// A calibration run as staff do it, started from the host: the white card under the head and
    /// a press, then the target and a press; returns the profile the host received. Throws with
    /// the appliance's reason if the run is refused.
    /// </summary>
    public async Task<CalibrationProfile> CalibrateAsync(CancellationToken cancellationToken)
    {
        var fleet = HostService<FleetState>();
        var runs = HostService<CalibrationRunService>();
        var statuses = System.Threading.Channels.Channel.CreateUnbounded<ApplianceStatus>();
        EventHandler<ApplianceStatus> onStatus = (_, s) =>
        {
            if (s.DeviceId == DeviceId && s.CalibrationRunId is not null)
            {
                statuses.Writer.TryWrite(s);
            }
        };
        fleet.StatusReceived += onStatus;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var run = await runs.RequestAsync(DeviceId, "demo", timeout.Token);
            async Task<ApplianceStatus> NextAsync()
            {
                while (true)
                {
                    var status = await statuses.Reader.ReadAsync(timeout.Token);
                    if (status.CalibrationRunId == run.RunId)
                    {
                        return status.State is ApplianceState.Calibrating or ApplianceState.Calibrated ? status
                            : throw new InvalidOperationException($"calibration {status.State.Name()}: {status.Reason}");
                    }
                }
            }

            await NextAsync(); // waiting for the white card
            Camera.Card = SimulatedCard.WhiteCard;
            PressButton();
            var prompt = await NextAsync();
            if (prompt.Reason?.StartsWith("retake", StringComparison.Ordinal) == true)
            {
                throw new InvalidOperationException($"the white card was refused: {prompt.Reason}");
            }

            Camera.Card = SimulatedCard.Target;
            PressButton();
            var done = await NextAsync();
            // The appliance sends the profile before the status that announces it.
            return await HostService<ICalibrationProfiles>().FindProfileAsync(DeviceId, done.ProfileId!, timeout.Token)
                ?? throw new InvalidOperationException($"the host does not hold the new profile {done.ProfileId}");
        }
        finally
        {
            Camera.Card = SimulatedCard.None;
            fleet.StatusReceived -= onStatus;
        }
    }

    /// <summary>A finger on the capture button: a clean press and release on the simulated GPIO line.</summary>
    public void PressButton()
    {
        var pins = ApplianceService<IOptions<PinMapOptions>>().Value;
        ApplianceService<SimulatedGpioDriver>().PressButton(pins.CaptureButtonPin);
    }

    /// <summary>A finger holding the capture button down for <paramref name="hold"/>, then letting go.</summary>
    public async Task HoldButtonAsync(TimeSpan hold, CancellationToken cancellationToken)
    {
        var pins = ApplianceService<IOptions<PinMapOptions>>().Value;
        var driver = ApplianceService<SimulatedGpioDriver>();
        driver.DriveInput(pins.CaptureButtonPin, System.Device.Gpio.PinValue.Low);
        try
        {
            // On the appliance's own clock, which times the hold.
            await Task.Delay(hold, ApplianceService<TimeProvider>(), cancellationToken);
        }
        finally
        {
            driver.DriveInput(pins.CaptureButtonPin, System.Device.Gpio.PinValue.High);
        }
    }

    public SimulatedCamera Camera => ApplianceService<SimulatedCamera>();

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await Appliance.StopAsync(stopping.Token);
        Appliance.Dispose();
        await Host.StopAsync(stopping.Token);
        await Host.DisposeAsync();
    }

    /// <summary>A task that completes with the first event argument matching <paramref name="match"/>.</summary>
    public static Task<T> WaitFor<T>(Action<EventHandler<T>> subscribe, Action<EventHandler<T>> unsubscribe, Func<T, bool> match)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<T>? handler = null;
        handler = (_, value) =>
        {
            if (match(value) && done.TrySetResult(value))
            {
                unsubscribe(handler!);
            }
        };
        subscribe(handler);
        return done.Task;
    }
}
