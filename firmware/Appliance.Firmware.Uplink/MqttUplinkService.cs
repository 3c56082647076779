using System.Security.Authentication;
using Appliance.Firmware.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// Runs the uplink's loops on each connection the <see cref="BrokerLink"/> makes: the
/// <see cref="StatusPublisher"/> and the firmware update's loop beside the <see cref="UploadScheduler"/>
/// ("accepted" must not wait behind a 74 MB series), until the link drops (then it reconnects after the link's backoff) or
/// a wipe is decided (then uploads stop at once, so the store can be closed, the
/// <see cref="WipeReporter"/> sends the report and the link does not come back). Capture never waits on it.
/// </summary>
public sealed partial class MqttUplinkService(
    BrokerLink link,
    StatusPublisher status,
    UploadScheduler uploads,
    WipeReporter wipeReporter,
    IFirmwareUpdates updates,
    WipeSignal wipe,
    HostLink hostLink,
    TimeProvider time,
    ILogger<MqttUplinkService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested && !wipe.Requested.IsCompleted)
        {
            try
            {
                await using var channel = await link.ConnectAsync(stoppingToken);
                hostLink.Set(true);
                await status.AnnounceAsync(channel, stoppingToken);
                await RunConnectedAsync(channel, stoppingToken);
                if (wipe.Requested.IsCompleted)
                {
                    await wipeReporter.ReportAsync(channel, stoppingToken);
                    break;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or UplinkRefusedException or AuthenticationException
                or IOException or System.Net.Sockets.SocketException or MqttConnectingFailedException or OperationCanceledException or TimeoutException)
            {
                LogLinkFailed(logger, ex.GetType().Name, ex.Message);
            }
            finally
            {
                hostLink.Set(false);
            }

            var delay = link.NextRetryDelay();
            LogReconnecting(logger, delay.TotalMilliseconds);
            _ = await Task.WhenAny(Task.Delay(delay, time, stoppingToken), wipe.Requested); // WhenAny does not throw
        }

        // Offline when the wipe came (the dead-man lease): the report stays in the marker on disk.
        wipe.ParkUplink();
    }

    private async Task RunConnectedAsync(IHostChannel channel, CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var statusLoop = status.RunAsync(channel, linked.Token);
        var updateLoop = updates.RunAsync(channel, linked.Token);
        try
        {
            var uploading = uploads.RunAsync(channel, linked.Token);
            if (await Task.WhenAny(uploading, wipe.Requested) != uploading)
            {
                // A wipe was ordered: stop reading the store now; what was mid-upload is lost with it.
                await linked.CancelAsync();
                await uploading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }

            await uploading;
        }
        finally
        {
            await linked.CancelAsync();
            await statusLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await updateLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (statusLoop.IsFaulted && !wipe.Requested.IsCompleted)
        {
            await statusLoop; // surfaces the link failure to the reconnect loop
        }
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Uplink failed ({ErrorType}): {Reason}")]
    private static partial void LogLinkFailed(ILogger logger, string errorType, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Reconnecting in {DelayMs:F0} ms")]
    private static partial void LogReconnecting(ILogger logger, double delayMs);
}
