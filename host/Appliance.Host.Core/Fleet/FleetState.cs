using System.Collections.Concurrent;
using Appliance.Protocol;

namespace Appliance.Host.Core.Fleet;

/// <summary>An appliance's last report and when the host received it (by the host's clock, not the appliance's).</summary>
public sealed record ReceivedStatus(ApplianceStatus Status, DateTimeOffset ReceivedAt);

/// <summary>Keeps each appliance's last report, so the fleet view survives a host restart and the command line can read it.</summary>
public interface IApplianceStatusStore
{
    void Save(ReceivedStatus status);

    IReadOnlyList<ReceivedStatus> LoadAll();
}

/// <summary>The last status each appliance reported, for the pages, the command line and the demo.</summary>
public sealed class FleetState
{
    private readonly ConcurrentDictionary<string, ApplianceStatus> _latest = new();
    private readonly ConcurrentDictionary<string, ReceivedStatus> _received = new();
    private readonly IApplianceStatusStore _store;
    private readonly TimeProvider _time;

    public FleetState(IApplianceStatusStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        foreach (var saved in store.LoadAll())
        {
            _received[saved.Status.DeviceId] = saved;
            _latest[saved.Status.DeviceId] = saved.Status;
        }
    }

    public event EventHandler<ApplianceStatus>? StatusReceived;

    public IReadOnlyDictionary<string, ApplianceStatus> Latest => _latest;

    public IReadOnlyDictionary<string, ReceivedStatus> Received => _received;

    public void Record(ApplianceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (_latest.TryGetValue(status.DeviceId, out var before))
        {
            status = status.State == ApplianceState.Offline
                // The will was written at connection time: keep what the appliance last said about itself.
                ? before with { State = ApplianceState.Offline, At = status.At, JobId = null, Reason = null, OrderId = null, SeriesId = null, CalibrationRunId = null, ProfileId = null }
                // Checks and calibration are reported when they happen; a later state change does not undo them.
                : status with
                {
                    CalibratedAt = status.CalibratedAt ?? before.CalibratedAt,
                    CalibrationDeltaE = status.CalibrationDeltaE ?? before.CalibrationDeltaE,
                    IntegrityCheckedAt = status.IntegrityCheckedAt ?? before.IntegrityCheckedAt,
                };
        }

        var received = new ReceivedStatus(status, _time.GetUtcNow());
        _latest[status.DeviceId] = status;
        _received[status.DeviceId] = received;
        _store.Save(received);
        StatusReceived?.Invoke(this, status);
    }
}
