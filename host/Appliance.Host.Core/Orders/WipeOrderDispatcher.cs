using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Orders;

/// <summary>
/// Sends the wipes requested into the ledger, by this process (the admin page) or by another
/// (the <c>wipe</c> command), within <see cref="OrderOptions.DispatchInterval"/>.
/// </summary>
public sealed partial class WipeOrderDispatcher(
    DeviceOrderService orders,
    IOptions<OrderOptions> options,
    TimeProvider time,
    ILogger<WipeOrderDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await orders.DispatchPendingAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException)
            {
                // Still requested in the ledger: tried again next round.
                LogDispatchFailed(logger, ex.Message);
            }

            await Task.Delay(options.Value.DispatchInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(EventId = 5404, Level = LogLevel.Warning, Message = "Could not send a requested wipe yet: {Reason}")]
    private static partial void LogDispatchFailed(ILogger logger, string reason);
}
