using System.Collections.Concurrent;
using Appliance.Protocol;

namespace Appliance.Host.Core.Fleet;

/// <summary>The last status each appliance reported, for the pages and the demo. In memory: the fleet work persists it.</summary>
public sealed class FleetState
{
    private readonly ConcurrentDictionary<string, ApplianceStatus> _latest = new();

    public event EventHandler<ApplianceStatus>? StatusReceived;

    public IReadOnlyDictionary<string, ApplianceStatus> Latest => _latest;

    public void Record(ApplianceStatus status)
    {
        _latest[status.DeviceId] = status;
        StatusReceived?.Invoke(this, status);
    }
}
