using System.Diagnostics;
using Appliance.Demo;
using Appliance.Host.Core.Orders;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>remote-wipe</c>: from the admin's request (as the <c>wipe</c> command and the page make it)
/// to the host holding the appliance's signed confirmation, for online appliances on loopback;
/// a fresh host and appliance each time. The reference, measured in the same runs, is the
/// appliance's own crypto-erase time from its report: the rest is the order's dispatch, the
/// round trips and the checks.
/// </summary>
internal static class RemoteWipeBenchmark
{
    public static async Task RunAsync(int wipes)
    {
        var confirm = new List<double>();
        var erase = new List<double>();
        for (var i = 0; i <= wipes; i++)
        {
            var folder = Path.Combine(Path.GetTempPath(), $"appliance-bench-remote-wipe-{Guid.NewGuid():N}");
            try
            {
                await using var suite = await EmbeddedSuite.StartAsync(folder);
                var ledger = suite.HostService<IDeviceOrderLedger>();
                var clock = Stopwatch.StartNew();
                suite.HostService<DeviceOrderService>().RequestWipe(suite.DeviceId, "benchmark");
                while (ledger.FindWipe(suite.DeviceId) is not { State: WipeState.Confirmed })
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        throw new TimeoutException("wipe not confirmed in 30 s");
                    }

                    await Task.Delay(1);
                }

                clock.Stop();
                var report = CryptoEraser.ReadMarker(suite.ApplianceDataFolder)!;
                if (i > 0)
                {
                    // The first is a warm-up (JIT, TLS, first LiteDB file).
                    confirm.Add(clock.Elapsed.TotalMilliseconds);
                    erase.Add(report.ElapsedMilliseconds);
                }
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        DemoCycleBenchmark.Bench("remote_wipe_confirm_ms", DemoCycleBenchmark.Median(confirm), "ms");
        DemoCycleBenchmark.Bench("remote_wipe_confirm_max_ms", confirm.Max(), "ms");
        DemoCycleBenchmark.Bench("reference_local_erase_ms", DemoCycleBenchmark.Median(erase), "ms");
        DemoCycleBenchmark.Bench("remote_wipe_runs", confirm.Count, "count");
    }
}
