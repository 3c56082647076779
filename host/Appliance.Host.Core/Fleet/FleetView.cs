using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;

namespace Appliance.Host.Core.Fleet;

/// <summary>
/// One appliance as the admin sees it. <c>StateDetail</c> goes with the state where it says
/// more: the failing checks of an <c>unsafe</c> one, the prompt or reason of a calibration run.
/// </summary>
public sealed record FleetEntry(
    string DeviceId,
    bool Online,
    string State,
    DateTimeOffset? LastSeen,
    string? FirmwareVersion,
    int? QueueDepth,
    DateTimeOffset? CalibratedAt,
    double? CalibrationDeltaE,
    DateTimeOffset? IntegrityCheckedAt,
    string? StateDetail,
    bool Revoked,
    WipeRecord? Wipe,
    Support.SupportStanding? Support = null,
    FleetUpdate? Update = null)
{
    /// <summary>Commands the host holds for the appliance that it has not confirmed.</summary>
    public IReadOnlyList<string> PendingCommands => Wipe is { State: not WipeState.Confirmed } w ? [$"wipe ({w.State.ToString().ToLowerInvariant()})"] : [];
}

/// <summary>An appliance's place in the latest rollout that includes it: the version it is to run and where that stands.</summary>
public sealed record FleetUpdate(string RolloutId, string TargetVersion, string State, string? Reason, int? ChunksHeld, int? ChunkCount);

/// <summary>
/// The whole fleet at a glance: every appliance provisioned here, with what it last reported,
/// whether its certificates are revoked, any wipe held for it, and whether its firmware is still
/// within its published support period.
/// </summary>
public sealed class FleetView(FleetState fleet, IDeviceCertificates certificates, IDeviceOrderLedger orders, Support.ReleaseSupport support, Rollouts.IRolloutStore rollouts, TimeProvider time)
{
    /// <summary>States in which an appliance's connection is known to be gone.</summary>
    private static readonly HashSet<ApplianceState> GoneStates = [ApplianceState.Offline, ApplianceState.Wiping];

    /// <summary>States whose reason the fleet page shows: why it will not arm, or where a calibration run stands.</summary>
    private static readonly HashSet<ApplianceState> ExplainedStates =
        [ApplianceState.Unsafe, ApplianceState.Calibrating, ApplianceState.CalibrationFailed, ApplianceState.CalibrationRefused];

    public IReadOnlyList<FleetEntry> List()
    {
        var active = certificates.ActiveDevices().ToHashSet(StringComparer.Ordinal);
        var wipes = orders.Wipes().ToDictionary(w => w.DeviceId, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var updates = Updates();
        var ids = certificates.KnownDevices().Union(fleet.Received.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return [.. ids.Select(id =>
        {
            fleet.Received.TryGetValue(id, out var last);
            wipes.TryGetValue(id, out var wipe);
            var status = last?.Status;
            var revoked = !active.Contains(id);
            // "wiped" and "never seen" are the host's own words: no appliance says them.
            var state = wipe is { State: WipeState.Confirmed } ? "wiped" : status?.State.Name() ?? "never seen";
            return new FleetEntry(
                id,
                Online: status is not null && !revoked && !GoneStates.Contains(status.State) && wipe is not { State: WipeState.Confirmed },
                state,
                last?.ReceivedAt,
                status?.FirmwareVersion,
                status?.QueueDepth,
                status?.CalibratedAt,
                status?.CalibrationDeltaE,
                status?.IntegrityCheckedAt,
                status is not null && ExplainedStates.Contains(status.State) ? status.Reason : null,
                revoked,
                wipe,
                status?.FirmwareVersion is { } firmware ? support.For(firmware, now) : null,
                updates.GetValueOrDefault(id));
        })];
    }

    /// <summary>Each appliance's entry in the newest rollout that includes it (an active one before any ended one).</summary>
    private Dictionary<string, FleetUpdate> Updates()
    {
        var updates = new Dictionary<string, FleetUpdate>(StringComparer.Ordinal);
        foreach (var rollout in rollouts.List().OrderByDescending(r => r.IsActive).ThenByDescending(r => r.CreatedAt))
        {
            // The page asks every second: a rollout whose appliances all have a newer one is not read.
            var unassigned = rollout.Waves.SelectMany(w => w.Devices).Where(d => !updates.ContainsKey(d)).ToList();
            if (unassigned.Count == 0)
            {
                continue;
            }

            var progress = rollouts.Progress(rollout.RolloutId).ToDictionary(p => p.DeviceId, StringComparer.Ordinal);
            foreach (var deviceId in unassigned)
            {
                var entry = progress.GetValueOrDefault(deviceId);
                var state = entry?.State.ToString() ?? (rollout.IsActive ? "Pending" : "NotReached");
                updates[deviceId] = new FleetUpdate(rollout.RolloutId, rollout.Version, ToKebab(state), entry?.Reason, entry?.ChunksHeld, entry?.ChunkCount);
            }
        }

        return updates;
    }

    private static string ToKebab(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));
}
