using Appliance.Firmware.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware;

/// <summary>
/// Carries out a wipe once one is decided (a verified remote order or the dead-man lease):
/// waits briefly for the uplink to stop reading the store, crypto-erases, hands the signed
/// report to the uplink to send, and stops the firmware. It does not start again: with the
/// bundle gone and the marker written, the next start reports the wipe and exits.
/// </summary>
public sealed partial class ApplianceWipeService(
    WipeSignal signal,
    IApplianceEraser eraser,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ApplianceWipeService> logger) : BackgroundService
{
    private static readonly TimeSpan ParkWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReportWait = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var request = await signal.Requested.WaitAsync(stoppingToken);
        // From here nothing cancels: a wipe half done is worse than a slow shutdown.
        await signal.UplinkParked.WaitAsync(ParkWait, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var report = await eraser.WipeAsync(request.Trigger, request.OrderId, CancellationToken.None);
        signal.Complete(report);
        if (request.Trigger == Protocol.WipeTrigger.Remote)
        {
            await signal.ReportSent.WaitAsync(ReportWait, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        LogStopping(logger, request.Trigger, signal.ReportSent.IsCompleted);
        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Wipe ({Trigger}) done, report delivered to the host: {ReportSent}; stopping the firmware")]
    private static partial void LogStopping(ILogger logger, Protocol.WipeTrigger trigger, bool reportSent);
}
