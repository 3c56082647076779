using System.Collections.Concurrent;
using Appliance.Firmware.Core;
using Appliance.Protocol.Releases;

namespace Appliance.TestKit;

/// <summary>Records what the host's messages hand to the update side: orders the handler verified, and package frames.</summary>
public sealed class FakeFirmwareUpdates : IFirmwareUpdates
{
    public ConcurrentQueue<UpdateOrder> Orders { get; } = new();

    public ConcurrentQueue<byte[]> Frames { get; } = new();

    public Task AcceptOrderAsync(UpdateOrder order, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        Orders.Enqueue(order);
        return Task.CompletedTask;
    }

    public Task ReceiveChunkAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        Frames.Enqueue(frame.ToArray());
        return Task.CompletedTask;
    }

    public Task RunAsync(IHostChannel channel, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
}
