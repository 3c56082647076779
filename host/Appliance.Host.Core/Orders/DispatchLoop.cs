using System.Threading.Channels;
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
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>One round.</summary>
    protected abstract Task RunRoundAsync(CancellationToken cancellationToken);

    /// <summary>Called with the reason when a round failed; it is tried again next round.</summary>
    protected abstract void OnRoundFailed(string reason);

    /// <summary>Subscribes to what wakes the loop; undone by <see cref="StopListening"/>.</summary>
    protected abstract void Listen();

    protected abstract void StopListening();

    /// <summary>Runs a round as soon as the current one ends.</summary>
    protected void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Listen();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunRoundAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException)
                {
                    OnRoundFailed(ex.Message);
                }

                _ = await Task.WhenAny(_wake.Reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(options.Value.DispatchInterval, time, stoppingToken)); // does not throw
                _wake.Reader.TryRead(out _);
            }
        }
        finally
        {
            StopListening();
        }
    }
}
