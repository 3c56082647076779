using System.Collections.Concurrent;
using System.Diagnostics;
using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;


namespace Appliance.EndToEndKit;

/// <summary>What the crash trials found.</summary>
/// <param name="Accepted">Series known to have been accepted: reported by the firmware, or found in its store after a kill.</param>
/// <param name="FoundOnlyInStore">Of those, series the firmware never reported (stored, then killed before it could say so).</param>
/// <param name="KilledWhileOpening">Kills that landed after the firmware began to open (and recover) its store, before it was running.</param>
public sealed record CrashReport(int Trials, int Accepted, int Filed, int Lost, int Duplicated, int Unopenable, int KilledWhileStoring, IReadOnlyList<string> FailedStarts, int FoundOnlyInStore = 0, int KilledWhileOpening = 0)
{
    public override string ToString() =>
        $"{Trials} kills ({KilledWhileOpening} while opening the store, {KilledWhileStoring} mid-write): {Accepted} series accepted ({FoundOnlyInStore} known only from the store), {Filed} filed, {Lost} lost, {Duplicated} duplicated, {Unopenable} restarts with an unopenable store";
}

/// <summary>
/// Kills the firmware (the crash harness process, the real composition with simulated
/// devices) with SIGKILL at random moments while it captures, stores and uploads, and
/// restarts it, again and again, some kills landing while it opens and recovers its store; then
/// lets it drain and checks against the host: every series accepted was filed (the host verifies
/// both frames' digests before filing, so a half series cannot be), none twice, and the store
/// always opened. What was accepted is known twice over: from what the firmware reported, and
/// from the store's own contents read after every kill, so a series stored and lost before the
/// firmware could report it still counts.
/// </summary>
public static class CrashTrials
{
    private const string DeviceId = "crash-appliance-01";

    public static async Task<CrashReport> RunAsync(int trials, int seed, string workRoot, TimeSpan maxKillDelay)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Appliance.CrashHarness");
        // A restart a second is the point here, not a device hammering the broker.
        var host = await EmbeddedSuite.StartHostAsync(workRoot, LogLevel.Error, hostSettings: new Dictionary<string, string?> { ["Broker:MaxConnectionsPerMinute"] = "100000" });
        try
        {
            var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
            var bundle = host.Services.GetRequiredService<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", port);
            var dataFolder = Path.Combine(workRoot, "appliance");
            DeviceProvisioner.WriteBundle(bundle, Path.Combine(dataFolder, "bundle.json"));
            var jobs = host.Services.GetRequiredService<CaptureJobService>();
            var fleet = host.Services.GetRequiredService<FleetState>();
            var accepted = new ConcurrentDictionary<string, bool>();
            var rng = new Random(seed);
            var unopenable = 0;
            var killedWhileStoring = 0;
            var failedStarts = new List<string>();
            var reported = new ConcurrentDictionary<string, bool>();
            var killedWhileOpening = 0;
            for (var trial = 0; trial < trials; trial++)
            {
                using var run = WorkerRun.Start(worker, dataFolder, reported);
                if (trial % 3 == 2)
                {
                    // Every third kill lands while the store is being opened and recovered from the kill before.
                    if (await run.WaitOpeningAsync(TimeSpan.FromSeconds(30)))
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(rng.NextDouble() * 150));
                        killedWhileOpening += run.Started ? 0 : 1;
                    }

                    run.Kill();
                    AddStoredSeries(dataFolder, bundle.StoreSecret, accepted);
                    continue;
                }

                if (!await run.WaitStartedAsync(TimeSpan.FromSeconds(30)))
                {
                    unopenable += run.Unopenable ? 1 : 0;
                    failedStarts.Add(run.ErrorTail);
                    continue;
                }

                var connected = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.DeviceId == DeviceId);
                await connected.WaitAsync(TimeSpan.FromSeconds(30));
                await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, $"CRASH-PATIENT-{trial}", "back", ConsentScope.DirectCare), "crash-trials", CancellationToken.None);
                await Task.Delay(TimeSpan.FromMilliseconds(rng.NextDouble() * maxKillDelay.TotalMilliseconds));
                run.Kill();
                // A frames file left half-written shows the kill landed in the middle of a store write.
                var sealedFolder = Path.Combine(dataFolder, "series.sealed");
                killedWhileStoring += Directory.Exists(sealedFolder) && Directory.EnumerateFiles(sealedFolder, "*.partial").Any() ? 1 : 0;
                AddStoredSeries(dataFolder, bundle.StoreSecret, accepted);
            }

            // Last run: no kill; let it send everything it holds.
            var archive = host.Services.GetRequiredService<ISeriesArchive>();
            foreach (var id in reported.Keys)
            {
                accepted[id] = true;
            }

            using (var final = WorkerRun.Start(worker, dataFolder, reported))
            {
                if (!await final.WaitStartedAsync(TimeSpan.FromSeconds(30)))
                {
                    unopenable += final.Unopenable ? 1 : 0;
                }

                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !await AllFiledAsync(archive, accepted.Keys.Union(reported.Keys)))
                {
                    await Task.Delay(200);
                }

                // Anything still queued is given the same time to arrive.
                await Task.Delay(TimeSpan.FromSeconds(1));
                final.Kill();
            }

            var foundOnlyInStore = accepted.Keys.Count(id => !reported.ContainsKey(id));
            foreach (var id in reported.Keys)
            {
                accepted[id] = true;
            }

            var filed = await archive.ListRecentAsync(100_000, CancellationToken.None);
            var filedIds = filed.Select(f => f.SeriesId).ToHashSet(StringComparer.Ordinal);
            var lost = accepted.Keys.Count(id => !filedIds.Contains(id));
            // One capture job, one series: two filed series for one episode is a duplicate.
            var duplicated = filed.GroupBy(f => f.EpisodeCode, StringComparer.Ordinal).Sum(g => g.Count() - 1)
                + filed.GroupBy(f => f.SeriesId, StringComparer.Ordinal).Sum(g => g.Count() - 1);
            return new CrashReport(trials, accepted.Count, filed.Count, lost, duplicated, unopenable, killedWhileStoring, failedStarts, foundOnlyInStore, killedWhileOpening);
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    /// <summary>
    /// Every series the firmware's store holds now, read from a copy of its database (so that
    /// reading it recovers nothing the firmware's own next start should have to): a record is
    /// written only after its frames are durable, so a record is an accepted series.
    /// </summary>
    private static void AddStoredSeries(string dataFolder, string storeSecret, ConcurrentDictionary<string, bool> accepted)
    {
        var database = Path.Combine(dataFolder, "series.db");
        if (!File.Exists(database))
        {
            return;
        }

        var copy = Path.Combine(Path.GetTempPath(), $"crash-store-copy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        try
        {
            foreach (var file in Directory.EnumerateFiles(dataFolder, "series*.db"))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            using var db = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(copy, "series.db"), Password = storeSecret, Connection = LiteDB.ConnectionType.Direct });
            foreach (var doc in db.GetCollection("series").FindAll())
            {
                accepted[doc["_id"].AsString] = true;
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static async Task<bool> AllFiledAsync(ISeriesArchive archive, IEnumerable<string> seriesIds)
    {
        foreach (var id in seriesIds)
        {
            if (await archive.FindAsync(id, CancellationToken.None) is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One run of the harness process, its "ACCEPTED" lines collected as they come.</summary>
    private sealed class WorkerRun : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<bool> _opening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private WorkerRun(Process process) => _process = process;

        private readonly ConcurrentQueue<string> _errors = new();

        public bool Unopenable { get; private set; }

        /// <summary>The last lines the process wrote to stderr, for a start that failed.</summary>
        public string ErrorTail => string.Join('\n', _errors.TakeLast(5));

        public static WorkerRun Start(string worker, string dataFolder, ConcurrentDictionary<string, bool> accepted)
        {
            var start = new ProcessStartInfo(worker) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dataFolder);
            var run = new WorkerRun(Process.Start(start) ?? throw new InvalidOperationException($"could not start {worker}"));
            run._process.OutputDataReceived += (_, e) =>
            {
                switch (e.Data?.Split(' ', 2))
                {
                    case ["OPENING"]:
                        run._opening.TrySetResult(true);
                        break;
                    case ["STARTED"]:
                        run._started.TrySetResult(true);
                        break;
                    case ["ACCEPTED", var id]:
                        accepted[id] = true;
                        break;
                    case ["UNOPENABLE", _]:
                        run.Unopenable = true;
                        run._started.TrySetResult(false);
                        break;
                }
            };
            run._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    run._errors.Enqueue(line);
                }
            };
            run._process.Exited += (_, _) =>
            {
                run._opening.TrySetResult(false);
                run._started.TrySetResult(false);
            };
            run._process.EnableRaisingEvents = true;
            run._process.BeginOutputReadLine();
            run._process.BeginErrorReadLine();
            return run;
        }

        public async Task<bool> WaitStartedAsync(TimeSpan timeout) => await _started.Task.WaitAsync(timeout);

        /// <summary>True once the firmware says it is opening its store; false if it exited first.</summary>
        public async Task<bool> WaitOpeningAsync(TimeSpan timeout) => await _opening.Task.WaitAsync(timeout);

        public bool Started => _started.Task is { IsCompletedSuccessfully: true, Result: true };

        /// <summary>SIGKILL: no shutdown code runs, exactly as in a power cut of the process.</summary>
        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit();
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }
    }
}
