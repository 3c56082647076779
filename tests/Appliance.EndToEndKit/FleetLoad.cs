using System.Collections.Concurrent;
using System.Diagnostics;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Uplink;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Appliance.TestData;
using Appliance.TestKit;

namespace Appliance.EndToEndKit;

/// <summary>What a fleet load run found.</summary>
public sealed record FleetLoadReport(int Appliances, int Filed, int Lost, int Duplicated, TimeSpan Total, double P50Ms, double P95Ms)
{
    public override string ToString() =>
        $"{Appliances} appliances: {Filed} filed, {Lost} lost, {Duplicated} duplicated in {Total.TotalSeconds:F1} s; capture to receipt p50 {P50Ms:F0} ms, p95 {P95Ms:F0} ms";
}

/// <summary>
/// Many appliances at once against one host: each is the real firmware composition (uplink,
/// transfer, receipt checks) over its own mutual-TLS connection, with an in-memory store into
/// which one signed, sealed two-frame series is put at the same moment on every appliance (the
/// end of a capture). Measured: every series filed once, and the time from that moment to the
/// appliance deleting the series on the host's signed receipt.
/// </summary>
public static class FleetLoad
{
    public static async Task<FleetLoadReport> RunAsync(int appliances, string workRoot, int frameSide, TimeSpan timeout)
    {
        var host = await EmbeddedSuite.StartHostAsync(workRoot, LogLevel.Error, hostSettings: new Dictionary<string, string?>
        {
            // The whole fleet connects in the same second: the per-device limit is not what is measured.
            ["Broker:MaxConnectionsPerMinute"] = "100000",
        });
        var running = new List<(IHost Appliance, FakeSeriesStore Store, SealedSeries Series)>();
        try
        {
            var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
            var provisioner = host.Services.GetRequiredService<DeviceProvisioner>();
            var jobs = host.Services.GetRequiredService<CaptureJobService>();
            var hostKey = host.Services.GetRequiredService<IHostSealingKey>().PublicKey;
            var fleet = host.Services.GetRequiredService<FleetState>();
            var online = new ConcurrentDictionary<string, bool>();
            fleet.StatusReceived += (_, s) => online[s.DeviceId] = true;

            for (var i = 0; i < appliances; i++)
            {
                var id = $"load-{i:D3}";
                var bundle = provisioner.Provision(id, "127.0.0.1", port);
                var job = await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(id, $"LOAD-PATIENT-{i}", "back", ConsentScope.DirectCare), "fleet-load", CancellationToken.None);
                var series = SealedSeriesFactory.Create(id, job.EpisodeCode, job.JobId, hostPublicKey: hostKey, signingPrivateKey: Convert.FromBase64String(bundle.SigningPrivateKey), side: frameSide);
                var folder = Path.Combine(workRoot, "appliances", id);
                DeviceProvisioner.WriteBundle(bundle, Path.Combine(folder, "bundle.json"));
                var store = new FakeSeriesStore();
                var appliance = EmbeddedSuite.BuildAppliance(folder, LogLevel.Error, services: s => s.AddSingleton<ISeriesStore>(store));
                running.Add((appliance, store, series));
            }

            await Task.WhenAll(running.Select(r => r.Appliance.StartAsync()));
            using (var waiting = new CancellationTokenSource(timeout))
            {
                while (online.Count < appliances)
                {
                    await Task.Delay(50, waiting.Token);
                }
            }

            // Every appliance finishes a capture at once.
            var clock = Stopwatch.StartNew();
            var started = new ConcurrentDictionary<string, TimeSpan>();
            var receipted = new ConcurrentDictionary<string, TimeSpan>();
            foreach (var (appliance, store, series) in running)
            {
                appliance.Services.GetRequiredService<HostMessageHandler>().SeriesDeleted += (_, r) => receipted.TryAdd(r.SeriesId, clock.Elapsed);
                started[series.Manifest.SeriesId] = clock.Elapsed;
                await store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
                appliance.Services.GetRequiredService<WorkSignal>().Notify();
            }

            using (var waiting = new CancellationTokenSource(timeout))
            {
                try
                {
                    while (receipted.Count < appliances)
                    {
                        await Task.Delay(20, waiting.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Reported as lost below.
                }
            }

            var total = clock.Elapsed;
            var filedEntries = host.Services.GetRequiredService<IAuditTrail>().ReadAll()
                .Where(e => e.Kind == AuditKinds.SeriesFiled)
                .GroupBy(e => e.Subject)
                .ToDictionary(g => g.Key, g => g.Count());
            var ids = running.Select(r => r.Series.Manifest.SeriesId).ToList();
            var filed = ids.Count(id => filedEntries.ContainsKey(id) && receipted.ContainsKey(id));
            var latencies = receipted.Select(r => (r.Value - started[r.Key]).TotalMilliseconds).Order().ToList();
            return new FleetLoadReport(
                appliances,
                filed,
                Lost: ids.Count - filed,
                Duplicated: filedEntries.Values.Count(c => c > 1),
                total,
                Percentile(latencies, 0.50),
                Percentile(latencies, 0.95));
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Task.WhenAll(running.Select(async r =>
            {
                await r.Appliance.StopAsync(stopping.Token);
                r.Appliance.Dispose();
            }));
            await host.StopAsync(stopping.Token);
            await host.DisposeAsync();
        }
    }

    /// <summary>The nearest-rank percentile of sorted values; NaN when there are none.</summary>
    internal static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
