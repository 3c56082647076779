using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Uplink;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Web;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;

namespace Appliance.EndToEndKit;

/// <summary>What a scaled fleet load run found.</summary>
public sealed record ScaledLoadReport(
    int Appliances,
    int Hosts,
    bool HostKilled,
    int Filed,
    int Lost,
    int Duplicated,
    int Unaudited,
    int PacsSeriesStored,
    TimeSpan Total,
    double P50Ms,
    double P95Ms)
{
    public override string ToString() =>
        $"{Appliances} appliances, {Hosts} hosts{(HostKilled ? " (one killed)" : string.Empty)}: {Filed} filed, {Lost} lost, {Duplicated} duplicated, {Unaudited} unaudited, "
        + $"{PacsSeriesStored} in the PACS; {Total.TotalSeconds:F1} s, p50 {P50Ms:F0} ms, p95 {P95Ms:F0} ms";
}

/// <summary>
/// The trust-scale deployment on one machine: host processes (the real <c>appliance-host serve</c>,
/// each with its own data folder) sharing only a PostgreSQL database, an Orthanc PACS, a mosquitto
/// broker (one MQTT 5 shared subscription) and a secrets folder made by <c>secrets export</c>.
/// Many appliances, each the real firmware composition on its own mutual-TLS connection with an
/// in-memory store, finish a two-frame series at the same moment; optionally one host process is
/// SIGKILLed once a quarter of the series are receipted. Counted from the shared database and the
/// PACS: every series filed once, receipted, audited and stored in the PACS.
/// </summary>
public static class ScaledFleetLoad
{
    public static async Task<ScaledLoadReport> RunAsync(PostgresServer postgres, string workRoot, int appliances, int hosts, bool killOne, int frameSide, TimeSpan timeout)
    {
        Directory.CreateDirectory(workRoot);
        var database = await postgres.CreateDatabaseAsync($"load_{Guid.NewGuid():N}");
        var secrets = Path.Combine(workRoot, "secrets");
        var instances = Enumerable.Range(0, hosts).Select(i => $"host-{(char)('a' + i)}").ToList();
        await HostServeProcess.RunCommandAsync(["secrets", "export", secrets, .. instances.SelectMany(i => new[] { "--instance", i }), $"--Host:DataFolder={Path.Combine(workRoot, "admin")}"]);
        await HostServeProcess.RunCommandAsync("migrate", "--Archive:Provider=PostgreSql", $"--PostgreSql:ConnectionString={database}");
        await using var pacs = await OrthancServer.StartAsync();
        var port = MosquittoBroker.FreePort();

        Dictionary<string, string?> Settings(string? instance) => new()
        {
            ["Host:DataFolder"] = Path.Combine(workRoot, instance ?? "admin-host"),
            ["Host:SecretsFolder"] = secrets,
            ["Archive:Provider"] = "PostgreSql",
            ["PostgreSql:ConnectionString"] = database,
            ["Broker:Mode"] = nameof(BrokerMode.External),
            ["Broker:ExternalHost"] = "127.0.0.1",
            ["Broker:ExternalPort"] = port.ToString(CultureInfo.InvariantCulture),
            ["Broker:SharedSubscriptionGroup"] = "appliance-hosts",
            ["Transfers:InstanceId"] = instance ?? "host",
            ["Pacs:DicomWebUrl"] = pacs.DicomWebUrl.AbsoluteUri,
            // A delivery the killed instance had taken falls to the other when its lease ends: 5 min in
            // service, seconds here, so the run waits for it rather than reporting it missing.
            ["Pacs:Lease"] = "00:00:15",
            ["Pacs:RequestTimeout"] = "00:00:10",
            ["Urls"] = $"https://127.0.0.1:{MosquittoBroker.FreePort().ToString(CultureInfo.InvariantCulture)}",
            ["Logging:LogLevel:Default"] = "Warning",
        };

        // The admin's part, before any host runs: the fleet provisioned and a job issued to each appliance, the broker's configuration written.
        var fleet = new List<(string Id, string Folder, SealedSeries Series)>();
        string config;
        await using (var admin = HostWebApplication.Create([], b => b.Configuration.AddInMemoryCollection(Settings(null)), workRoot))
        {
            var provisioner = admin.Services.GetRequiredService<DeviceProvisioner>();
            var jobs = admin.Services.GetRequiredService<ICaptureJobRepository>();
            var hostKey = admin.Services.GetRequiredService<IHostSealingKey>().PublicKey;
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < appliances; i++)
            {
                var id = $"trust-{i:D4}";
                var bundle = provisioner.Provision(id, "127.0.0.1", port);
                var consent = new ConsentRecord(ConsentGiver.Patient, ConsentForm.Verbal, ConsentScope.DirectCare, "load", now);
                var job = new CaptureJobRecord(Guid.NewGuid().ToString("N"), id, EpisodeCodes.New(), $"LOAD-PATIENT-{i}", "left forearm", ConsentScope.DirectCare, now, now.AddDays(1), Consent: consent);
                await jobs.AddAsync(job, CancellationToken.None);
                var folder = Path.Combine(workRoot, "appliances", id);
                DeviceProvisioner.WriteBundle(bundle, Path.Combine(folder, "bundle.json"));
                fleet.Add((id, folder, SealedSeriesFactory.Create(id, job.EpisodeCode, job.JobId, hostPublicKey: hostKey, signingPrivateKey: Convert.FromBase64String(bundle.SigningPrivateKey), side: frameSide)));
            }

            config = admin.Services.GetRequiredService<MosquittoConfiguration>().Write(Path.Combine(workRoot, "mosquitto"), port, brokerUser: Environment.UserName);
        }

        await using var broker = await MosquittoBroker.StartAsync(config, port);
        var running = new List<HostServeProcess>();
        var appliancesUp = new List<(IHost Appliance, FakeSeriesStore Store, SealedSeries Series)>();
        try
        {
            foreach (var instance in instances)
            {
                running.Add(await HostServeProcess.StartAsync(Settings(instance), TimeSpan.FromMinutes(2)));
            }

            var connected = new ConnectionCounter(appliances);
            foreach (var (_, folder, series) in fleet)
            {
                var store = new FakeSeriesStore();
                var appliance = EmbeddedSuite.BuildAppliance(folder, LogLevel.Error, ApplianceSettings, connected.AddTo, s => s.AddSingleton<ISeriesStore>(store));
                appliancesUp.Add((appliance, store, series));
            }

            await Task.WhenAll(appliancesUp.Select(a => a.Appliance.StartAsync()));
            await connected.All.WaitAsync(timeout);

            // Every appliance finishes a capture at once; one host dies when a quarter are receipted.
            var clock = Stopwatch.StartNew();
            var started = new ConcurrentDictionary<string, TimeSpan>();
            var receipted = new ConcurrentDictionary<string, TimeSpan>();
            var quarter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var everyone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var (appliance, store, series) in appliancesUp)
            {
                appliance.Services.GetRequiredService<HostMessageHandler>().SeriesDeleted += (_, r) =>
                {
                    if (receipted.TryAdd(r.SeriesId, clock.Elapsed))
                    {
                        if (receipted.Count >= Math.Max(1, appliances / 4))
                        {
                            quarter.TrySetResult();
                        }

                        if (receipted.Count == appliances)
                        {
                            everyone.TrySetResult();
                        }
                    }
                };
                started[series.Manifest.SeriesId] = clock.Elapsed;
                await store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
                appliance.Services.GetRequiredService<WorkSignal>().Notify();
            }

            var killed = false;
            if (killOne && running.Count > 1)
            {
                await Task.WhenAny(quarter.Task, everyone.Task, Task.Delay(timeout));
                running[^1].Kill();
                killed = true;
            }

            await Task.WhenAny(everyone.Task, Task.Delay(timeout)); // a timeout is reported as lost below
            var total = clock.Elapsed;

            var ids = appliancesUp.Select(a => a.Series.Manifest.SeriesId).ToHashSet();
            await using var shared = NpgsqlDataSource.Create(database);
            var inArchive = (await StringsAsync(shared, "SELECT series_id FROM series")).ToHashSet();
            var filedEntries = await CountsAsync(shared, "SELECT subject, count(*) FROM audit_entries WHERE kind = 'series-filed' GROUP BY subject");
            var filed = ids.Count(id => inArchive.Contains(id) && receipted.ContainsKey(id));
            var latencies = receipted.Select(r => (r.Value - started[r.Key]).TotalMilliseconds).Order().ToList();
            var stored = await PacsSeriesAsync(shared, pacs, inArchive.Count, timeout);
            return new ScaledLoadReport(
                appliances,
                hosts,
                killed,
                filed,
                Lost: ids.Count - filed,
                Duplicated: filedEntries.Values.Count(c => c > 1),
                Unaudited: inArchive.Count(id => !filedEntries.ContainsKey(id)),
                stored,
                total,
                FleetLoad.Percentile(latencies, 0.50),
                FleetLoad.Percentile(latencies, 0.95));
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Task.WhenAll(appliancesUp.Select(async a =>
            {
                await a.Appliance.StopAsync(stopping.Token);
                a.Appliance.Dispose();
            }));
            foreach (var host in running)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>Shorter than in service, so an appliance whose host died offers again within seconds, not half a minute.</summary>
    private static readonly Dictionary<string, string?> ApplianceSettings = new()
    {
        ["Uplink:ProgressTimeout"] = "00:00:05",
        ["Uplink:ReceiptTimeout"] = "00:00:05",
    };

    /// <summary>
    /// The distinct series the PACS holds once every filed series is sent or the time is up: the
    /// hosts forward on their own, so this waits on the shared queue (another process's work has no event to wait on here).
    /// </summary>
    private static async Task<int> PacsSeriesAsync(NpgsqlDataSource shared, OrthancServer pacs, int filed, TimeSpan timeout)
    {
        using var waiting = new CancellationTokenSource(timeout);
        try
        {
            while ((await CountsAsync(shared, "SELECT state, count(*) FROM pacs_deliveries GROUP BY state")).GetValueOrDefault("Sent") < filed)
            {
                await Task.Delay(100, waiting.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // What was stored by then is what is reported.
        }

        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(new Uri(pacs.RestUrl, "series"))).RootElement.GetArrayLength();
    }

    private static async Task<List<string>> StringsAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static async Task<Dictionary<string, long>> CountsAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Counts appliances that said they connected to the broker (their uplink's own log event), and says when all have.</summary>
    private sealed class ConnectionCounter(int expected)
    {
        private const int ConnectedEventId = 2001;
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<object, bool> _connected = new();

        public Task All => _all.Task;

        /// <summary>Each appliance's logging: errors to the console, its connection events to this counter.</summary>
        public void AddTo(ILoggingBuilder logging)
        {
            var appliance = new object();
            logging.ClearProviders();
            logging.AddSimpleConsole(o => o.SingleLine = true);
            logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Error);
            logging.AddProvider(new PerAppliance(this, appliance));
            logging.AddFilter<PerAppliance>("Appliance.Firmware.Uplink.BrokerLink", LogLevel.Information);
            logging.SetMinimumLevel(LogLevel.Information);
        }

        private void Connected(object appliance)
        {
            if (_connected.TryAdd(appliance, true) && _connected.Count == expected)
            {
                _all.TrySetResult();
            }
        }

        private sealed class PerAppliance(ConnectionCounter counter, object appliance) : ILoggerProvider, ILogger
        {
            public ILogger CreateLogger(string categoryName) => this;

            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id == ConnectedEventId)
                {
                    counter.Connected(appliance);
                }
            }

            public void Dispose()
            {
            }
        }
    }
}
