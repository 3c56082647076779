using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Orders;

/// <summary>
/// Sends the wipes requested into the ledger: at once when the request was made in this
/// process (the admin page), within <see cref="OrderOptions.DispatchInterval"/> when another
/// process made it (the <c>wipe</c> command).
/// </summary>
public sealed partial class WipeOrderDispatcher(
    DeviceOrderService orders,
    IOptions<OrderOptions> options,
    TimeProvider time,
    ILogger<WipeOrderDispatcher> logger) : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        orders.WipeChanged += OnWipeChanged;
        try
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

                _ = await Task.WhenAny(_wake.Reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(options.Value.DispatchInterval, time, stoppingToken)); // does not throw
                _wake.Reader.TryRead(out _);
            }
        }
        finally
        {
            orders.WipeChanged -= OnWipeChanged;
        }
    }

    private void OnWipeChanged(object? sender, WipeRecord wipe)
    {
        if (wipe is { State: WipeState.Issued, Sends: 0 })
        {
            _wake.Writer.TryWrite(true);
        }
    }

    [LoggerMessage(EventId = 5404, Level = LogLevel.Warning, Message = "Could not send a requested wipe yet: {Reason}")]
    private static partial void LogDispatchFailed(ILogger logger, string reason);
}
