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

namespace Appliance.TestKit;

/// <summary>What the crash trials found.</summary>
public sealed record CrashReport(int Trials, int Accepted, int Filed, int Lost, int Duplicated, int Unopenable, int KilledWhileStoring, IReadOnlyList<string> FailedStarts)
{
    public override string ToString() =>
        $"{Trials} kills: {Accepted} series reported accepted, {Filed} filed, {Lost} lost, {Duplicated} duplicated, {Unopenable} restarts with an unopenable store";
}

/// <summary>
/// Kills the firmware (the crash harness process, the real composition with simulated
/// devices) with SIGKILL at random moments while it captures, stores and uploads, and
/// restarts it, again and again; then lets it drain and checks against the host: every
/// series it reported accepted was filed (the host verifies both frames' digests before
/// filing, so a half series cannot be), none twice, and the store always opened.
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
            for (var trial = 0; trial < trials; trial++)
            {
                using var run = WorkerRun.Start(worker, dataFolder, accepted);
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
            }

            // Last run: no kill; let it send everything it holds.
            var archive = host.Services.GetRequiredService<ISeriesArchive>();
            using (var final = WorkerRun.Start(worker, dataFolder, accepted))
            {
                if (!await final.WaitStartedAsync(TimeSpan.FromSeconds(30)))
                {
                    unopenable += final.Unopenable ? 1 : 0;
                }

                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !await AllFiledAsync(archive, accepted.Keys))
                {
                    await Task.Delay(200);
                }

                // Anything still queued is given the same time to arrive.
                await Task.Delay(TimeSpan.FromSeconds(1));
                final.Kill();
            }

            var filed = await archive.ListRecentAsync(100_000, CancellationToken.None);
            var filedIds = filed.Select(f => f.SeriesId).ToHashSet(StringComparer.Ordinal);
            var lost = accepted.Keys.Count(id => !filedIds.Contains(id));
            // One capture job, one series: two filed series for one episode is a duplicate.
            var duplicated = filed.GroupBy(f => f.EpisodeCode, StringComparer.Ordinal).Sum(g => g.Count() - 1)
                + filed.GroupBy(f => f.SeriesId, StringComparer.Ordinal).Sum(g => g.Count() - 1);
            return new CrashReport(trials, accepted.Count, filed.Count, lost, duplicated, unopenable, killedWhileStoring, failedStarts);
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
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
            run._process.Exited += (_, _) => run._started.TrySetResult(false);
            run._process.EnableRaisingEvents = true;
            run._process.BeginOutputReadLine();
            run._process.BeginErrorReadLine();
            return run;
        }

        public async Task<bool> WaitStartedAsync(TimeSpan timeout) => await _started.Task.WaitAsync(timeout);

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
