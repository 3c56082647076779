using Appliance.Host.Core.Orders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Rollouts;

/// <summary>
/// Runs the <see cref="RolloutDriver"/>: at once when a report or an appliance's return changes
/// something, and every <see cref="OrderOptions.DispatchInterval"/> anyway, which is also how a
/// rollout started, paused or cancelled from the command line (another process) takes effect.
/// </summary>
public sealed partial class RolloutDispatcher(
    RolloutDriver driver,
    IOptions<OrderOptions> options,
    TimeProvider time,
    ILogger<RolloutDispatcher> logger) : DispatchLoop(options, time)
{
    protected override Task RunRoundAsync(CancellationToken cancellationToken) => driver.TickAsync(cancellationToken);

    // The rollout's state is on disk: tried again next round.
    protected override void OnRoundFailed(string reason) => LogTickFailed(logger, reason);

    protected override void Listen() => driver.Changed += OnChanged;

    protected override void StopListening() => driver.Changed -= OnChanged;

    private void OnChanged(object? sender, EventArgs e) => Wake();

    [LoggerMessage(EventId = 5704, Level = LogLevel.Warning, Message = "Could not drive the rollouts this round: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string reason);
}
