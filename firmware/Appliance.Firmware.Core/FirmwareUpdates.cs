using Appliance.Protocol.Releases;

namespace Appliance.Firmware.Core;

/// <summary>
/// The firmware update as the host's messages and the uplink see it: the handler hands over a
/// verified update order and the package's chunk frames; the uplink runs the update's loop on
/// each connection (fetching chunks, reporting, installing), beside the status and upload loops.
/// </summary>
public interface IFirmwareUpdates
{
    /// <summary>An update order whose command the handler has checked (signature, binding, counter, expiry).</summary>
    Task AcceptOrderAsync(UpdateOrder order, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>A frame from the <c>package</c> topic: a chunk of the ordered package, checked against the order's digest before it is kept.</summary>
    Task ReceiveChunkAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);

    /// <summary>Runs while <paramref name="channel"/> is connected; returns when it is lost or cancelled.</summary>
    Task RunAsync(IHostChannel channel, CancellationToken cancellationToken);
}
