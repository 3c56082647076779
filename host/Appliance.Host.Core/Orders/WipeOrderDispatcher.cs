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
    ILogger<WipeOrderDispatcher> logger) : DispatchLoop(options, time)
{
    protected override Task RunRoundAsync(CancellationToken cancellationToken) => orders.DispatchPendingAsync(cancellationToken);

    // Still requested in the ledger: tried again next round.
    protected override void OnRoundFailed(string reason) => LogDispatchFailed(logger, reason);

    protected override void Listen() => orders.WipeChanged += OnWipeChanged;

    protected override void StopListening() => orders.WipeChanged -= OnWipeChanged;

    private void OnWipeChanged(object? sender, WipeRecord wipe)
    {
        if (wipe is { State: WipeState.Issued, Sends: 0 })
        {
            Wake();
        }
    }

    [LoggerMessage(EventId = 5404, Level = LogLevel.Warning, Message = "Could not send a requested wipe yet: {Reason}")]
    private static partial void LogDispatchFailed(ILogger logger, string reason);
}
