using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Orders;

/// <summary>
/// A host loop that acts on what is recorded on disk: a round at once when something in this
/// process wakes it, and every <see cref="OrderOptions.DispatchInterval"/> anyway (which is how a
/// change made by another process, the command line, takes effect). A round that fails on I/O is
/// tried again next round: what it acts on is still recorded.
/// </summary>
public abstract class DispatchLoop(IOptions<OrderOptions> options, TimeProvider time) : BackgroundService
{
    // This round's wake-up: replaced before each round, so a wake during a round runs the next at
    // once. Not a channel waited on with the stopping token: each wait the interval ended first
    // stayed queued on the channel (about 260 bytes a round, for as long as nothing woke it).
    private TaskCompletionSource _wake = NewWake();

    /// <summary>One round.</summary>
    protected abstract Task RunRoundAsync(CancellationToken cancellationToken);

    /// <summary>Called with the reason when a round failed; it is tried again next round.</summary>
    protected abstract void OnRoundFailed(string reason);

    /// <summary>Subscribes to what wakes the loop; undone by <see cref="StopListening"/>.</summary>
    protected abstract void Listen();

    protected abstract void StopListening();

    /// <summary>Runs a round as soon as the current one ends.</summary>
    protected void Wake() => Volatile.Read(ref _wake).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Listen();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // A wake before this line is for a change the round below reads anyway.
                var wake = NewWake();
                Volatile.Write(ref _wake, wake);
                try
                {
                    await RunRoundAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException)
                {
                    OnRoundFailed(ex.Message);
                }

                using var pause = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                _ = await Task.WhenAny(wake.Task, Task.Delay(options.Value.DispatchInterval, time, pause.Token)); // does not throw
                await pause.CancelAsync(); // the interval's timer, when a wake came first
            }
        }
        finally
        {
            StopListening();
        }
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
