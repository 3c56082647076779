using System.Threading.Channels;
using Appliance.Firmware.Core;

namespace Appliance.TestKit;

/// <summary>
/// A connection to the host as the uplink's loops see it, in memory: records what is published,
/// lets a test play the broker and the host (<see cref="OnPublish"/>), and can be cut.
/// </summary>
public sealed class FakeHostChannel : IHostChannel
{
    private readonly Channel<(string Topic, byte[] Payload)> _published = Channel.CreateUnbounded<(string, byte[])>();
    private readonly List<(string Topic, byte[] Payload)> _all = [];

    public bool IsConnected { get; set; } = true;

    /// <summary>
    /// Called with each message before the broker "acknowledges" it: return false for "nobody is
    /// subscribed", throw to cut the link there. Null: every message is taken.
    /// </summary>
    public Func<string, byte[], bool>? OnPublish { get; set; }

    public IReadOnlyList<(string Topic, byte[] Payload)> Published
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public Task<bool> PublishAsync(string topic, ArraySegment<byte> payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsConnected)
        {
            throw new IOException("the fake link is cut");
        }

        var bytes = payload.ToArray();
        var taken = OnPublish?.Invoke(topic, bytes) ?? true;
        lock (_all)
        {
            _all.Add((topic, bytes));
        }

        _published.Writer.TryWrite((topic, bytes));
        return Task.FromResult(taken);
    }

    /// <summary>The next message published (in order), waiting for it up to <paramref name="timeout"/>.</summary>
    public async Task<(string Topic, byte[] Payload)> NextAsync(TimeSpan timeout) =>
        await _published.Reader.ReadAsync().AsTask().WaitAsync(timeout);
}
