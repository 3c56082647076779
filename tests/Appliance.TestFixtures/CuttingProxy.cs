using System.Net;
using System.Net.Sockets;

namespace Appliance.TestFixtures;

/// <summary>
/// A TCP relay between an appliance and its broker that cuts connections the way a clinic
/// network does: each connection may be given a byte budget (device to broker), and when it is
/// spent both sides are reset mid-stream, or, stalling, the device's bytes are held from then
/// on while the broker's still come through (so that something else, a broker restart, can end
/// the connection at a known point). TLS passes through untouched, end to end.
/// </summary>
public sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<long?> _nextBudget;
    private readonly bool _stall;
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private int _cuts;
    private int _connections;

    /// <param name="target">Where the broker listens.</param>
    /// <param name="nextBudget">Asked at each new connection: bytes it may carry upstream before the cut, or null for no cut.</param>
    /// <param name="stall">Hold the device's bytes once the budget is spent instead of cutting.</param>
    public CuttingProxy(IPEndPoint target, Func<long?> nextBudget, bool stall = false)
    {
        _target = target;
        _nextBudget = nextBudget;
        _stall = stall;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections cut so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Completes when a stalling proxy's first connection has spent its budget.</summary>
    public Task FirstStall => _stalled.Task;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket downstream;
            try
            {
                downstream = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = RelayAsync(downstream, _nextBudget());
        }
    }

    private async Task RelayAsync(Socket downstream, long? budget)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            await upstream.ConnectAsync(_target, connection.Token);
            var up = PumpAsync(downstream, upstream, budget, _stall ? _stalled : null, connection.Token);
            var down = PumpAsync(upstream, downstream, null, null, connection.Token);
            await Task.WhenAny(up, down);
            if (up.IsCompletedSuccessfully && up.Result)
            {
                Interlocked.Increment(ref _cuts);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The broker is down or the proxy is stopping: the device sees a reset either way.
        }
        finally
        {
            await connection.CancelAsync();
            // A reset, not a polite close: what a pulled cable or a dropped Wi-Fi looks like.
            downstream.LingerState = new LingerOption(true, 0);
            downstream.Dispose();
        }
    }

    /// <summary>
    /// Copies until the source closes (false) or the budget is spent (true: cut); stalling, a
    /// spent budget is reported and the copy waits for the connection to end instead (false).
    /// </summary>
    private static async Task<bool> PumpAsync(Socket from, Socket to, long? budget, TaskCompletionSource? stalled, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var left = budget ?? long.MaxValue;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (read == 0)
                {
                    return false;
                }

                await to.SendAsync(buffer.AsMemory(0, read), cancellationToken);
                left -= read;
                if (left <= 0 && stalled is not null)
                {
                    stalled.TrySetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }

                if (left <= 0)
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
