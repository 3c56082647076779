using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.Protocol.Releases;

namespace Appliance.Firmware.Updates;

/// <summary>
/// The update's reports to the host, in order, each taken off only once the broker has it; a
/// report that must survive a restart (a rollback) lives in its file until then.
/// </summary>
public sealed class UpdateReports(ApplianceIdentity identity, TimeProvider time)
{
    private readonly Queue<(UpdateReport Report, Action? Sent)> _pending = new();
    private readonly Lock _lock = new();

    public void Post(UpdateOrder order, UpdateState state, string? reason = null, int? chunksHeld = null, Action? sent = null) =>
        Post(order.OrderId, order.RolloutId, order.Version, state, reason, chunksHeld, chunksHeld is null ? null : order.ChunkCount, sent);

    public void Post(string orderId, string rolloutId, string version, UpdateState state, string? reason = null, int? chunksHeld = null, int? chunkCount = null, Action? sent = null)
    {
        var report = new UpdateReport(identity.DeviceId, orderId, rolloutId, version, state, identity.FirmwareVersion, time.GetUtcNow(), Trim(reason), chunksHeld, chunkCount);
        lock (_lock)
        {
            _pending.Enqueue((report, sent));
        }
    }

    /// <summary>Sends what is queued; stops at the first the broker does not take (kept for the next connection).</summary>
    public async Task SendAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        while (channel.IsConnected)
        {
            (UpdateReport Report, Action? Sent) next;
            lock (_lock)
            {
                if (!_pending.TryPeek(out next))
                {
                    return;
                }
            }

            if (!await channel.PublishAsync(ApplianceTopics.Update(identity.DeviceId), ProtocolJson.Serialize(next.Report), cancellationToken))
            {
                return; // no host listening just now
            }

            lock (_lock)
            {
                _pending.Dequeue();
            }

            next.Sent?.Invoke();
        }
    }

    private static string? Trim(string? reason) => reason is { Length: > 512 } ? reason[..509] + "..." : reason;
}
