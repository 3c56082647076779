using System.Threading.Channels;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>
/// Status changes on their way to the host. Bounded: if the host is unreachable for long, the
/// oldest changes are dropped; the latest state is what matters.
/// </summary>
public sealed class StatusFeed(WorkSignal uplinkSignal)
{
    private readonly Channel<ApplianceStatus> _channel = Channel.CreateBounded<ApplianceStatus>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });

    public ChannelReader<ApplianceStatus> Reader => _channel.Reader;

    /// <summary>Each status as it is published, for what shows it on the appliance itself (the screen); handlers must not block.</summary>
    public event Action<ApplianceStatus>? Published;

    public void Publish(ApplianceStatus status)
    {
        _channel.Writer.TryWrite(status);
        uplinkSignal.Notify();
        Published?.Invoke(status);
    }
}
