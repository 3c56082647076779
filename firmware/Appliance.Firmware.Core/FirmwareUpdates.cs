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

/// <summary>
/// Keeps capture out of an update's way: an update switches releases only while the appliance
/// is idle (no job armed, no capture, no calibration run), and nothing arms while it does.
/// </summary>
public interface IUpdateHold
{
    /// <summary>True, and jobs and runs refused from now on, if the appliance is idle; false (nothing held) if not.</summary>
    Task<bool> TryHoldAsync(CancellationToken cancellationToken);

    /// <summary>Ends a hold whose install did not happen (refused, failed): jobs arm again.</summary>
    void ReleaseHold();

    /// <summary>Raised when a job ends (captured, cancelled, expired) or a calibration run does: an update waiting may go now.</summary>
    event EventHandler? BecameIdle;
}
