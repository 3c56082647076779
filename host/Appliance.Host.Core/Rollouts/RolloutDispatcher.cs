using System.Threading.Channels;
using Appliance.Host.Core.Orders;
using Microsoft.Extensions.Hosting;
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
    ILogger<RolloutDispatcher> logger) : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        driver.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await driver.TickAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException)
                {
                    // The rollout's state is on disk: tried again next round.
                    LogTickFailed(logger, ex.Message);
                }

                _ = await Task.WhenAny(_wake.Reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(options.Value.DispatchInterval, time, stoppingToken)); // does not throw
                _wake.Reader.TryRead(out _);
            }
        }
        finally
        {
            driver.Changed -= OnChanged;
        }
    }

    private void OnChanged(object? sender, EventArgs e) => _wake.Writer.TryWrite(true);

    [LoggerMessage(EventId = 5704, Level = LogLevel.Warning, Message = "Could not drive the rollouts this round: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string reason);
}
