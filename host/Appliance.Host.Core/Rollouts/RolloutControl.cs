using System.Globalization;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Releases;
using Appliance.Protocol;

namespace Appliance.Host.Core.Rollouts;

/// <summary>What an admin asks for: which release, to whom, how fast, and when to stop by itself.</summary>
public sealed record RolloutRequest(string Version, string Architecture, IReadOnlyList<string> Groups, int Percentage = 100, int? WaveSize = null, double HaltAbove = 0.2);

/// <summary>
/// Starts, pauses, resumes and cancels rollouts, and sets the appliances' groups; every change
/// audited. Only one rollout is active at a time (an appliance must never be told two targets), and
/// only an imported release can be rolled out. The <see cref="RolloutDriver"/> carries them out.
/// </summary>
public sealed class RolloutControl(IRolloutStore store, IDeviceGroups groups, ReleaseLibrary releases, IDeviceCertificates certificates, IAuditTrail audit, TimeProvider time)
{
    public Rollout Start(RolloutRequest request, string actor)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (store.List().FirstOrDefault(r => r.IsActive) is { } active)
        {
            throw new InvalidOperationException($"rollout {active.RolloutId} ({active.Version}) is still {active.State.ToString().ToLowerInvariant()}: cancel it first");
        }

        if (!releases.List().Any(r => r.Manifest.Version == request.Version && r.Manifest.Architecture == request.Architecture))
        {
            throw new InvalidOperationException($"{request.Version} for {request.Architecture} is not imported: release import it first");
        }

        if (request.Percentage is < 1 or > 100 || request.WaveSize is < 1 || request.HaltAbove is < 0 or > 1)
        {
            throw new ArgumentException("percentage is 1–100, a wave at least 1 appliance, the halt share 0–1");
        }

        var waves = PlanWaves(request);
        if (waves.Length == 0)
        {
            throw new InvalidOperationException(request.Groups.Count == 0 ? "no enrolled appliance to update" : $"no enrolled appliance in {string.Join(", ", request.Groups)}");
        }

        var now = time.GetUtcNow();
        var id = $"rollout-{now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}";
        var rollout = new Rollout(id, request.Version, request.Architecture, [.. request.Groups], request.Percentage, request.HaltAbove, waves, RolloutState.Running, now, actor, now);
        store.Save(rollout);
        audit.Append(AuditKinds.RolloutStarted, actor, id,
            $"{request.Version}/{request.Architecture} to {waves.Sum(w => w.Devices.Length)} appliances in {waves.Length} waves ({(request.Groups.Count == 0 ? "all" : string.Join(", ", request.Groups))}, {request.Percentage}%), halts above {request.HaltAbove:P0} failed");
        return rollout;
    }

    public Rollout Pause(string rolloutId, string actor) =>
        Change(rolloutId, actor, RolloutState.Paused, AuditKinds.RolloutPaused, r => r.State == RolloutState.Running, "only a running rollout can be paused");

    public Rollout Resume(string rolloutId, string actor) =>
        Change(rolloutId, actor, RolloutState.Running, AuditKinds.RolloutResumed, r => r.State is RolloutState.Paused or RolloutState.Halted, "only a paused or halted rollout can be resumed");

    public Rollout Cancel(string rolloutId, string actor) =>
        Change(rolloutId, actor, RolloutState.Cancelled, AuditKinds.RolloutCancelled, r => r.IsActive, "the rollout has already ended");

    public void SetGroup(string deviceId, string? group, string actor)
    {
        DeviceId.EnsureValid(deviceId);
        if (group is not null && !CaptureJob.IsValidJobId(group))
        {
            throw new ArgumentException("a group name is 1–64 letters, digits or hyphens");
        }

        groups.Set(deviceId, group);
        audit.Append(AuditKinds.DeviceGroupSet, actor, deviceId, group is null ? "no group" : $"group {group}");
    }

    public IReadOnlyList<Rollout> List() => [.. store.List().OrderBy(r => r.CreatedAt)];

    public Rollout? Find(string rolloutId) => store.Find(rolloutId);

    public IReadOnlyList<DeviceUpdate> Progress(string rolloutId) => store.Progress(rolloutId);

    private Rollout Change(string rolloutId, string actor, RolloutState to, string auditKind, Func<Rollout, bool> allowed, string refusal)
    {
        var rollout = store.Find(rolloutId) ?? throw new InvalidOperationException($"no rollout {rolloutId}");
        if (!allowed(rollout))
        {
            throw new InvalidOperationException($"{rolloutId} is {rollout.State.ToString().ToLowerInvariant()}: {refusal}");
        }

        var now = time.GetUtcNow();
        // Resumed past a halt: the failures the admin has seen no longer count towards the next one.
        var changed = rollout with { State = to, ChangedAt = now, Reason = null, FailuresCountFrom = rollout.State == RolloutState.Halted && to == RolloutState.Running ? now : rollout.FailuresCountFrom };
        store.Save(changed);
        audit.Append(auditKind, actor, rolloutId, $"{rollout.State.ToString().ToLowerInvariant()} → {to.ToString().ToLowerInvariant()}");
        return changed;
    }

    /// <summary>The appliances in the groups' order (then by id), the first percentage of them, cut into waves.</summary>
    private RolloutWave[] PlanWaves(RolloutRequest request)
    {
        var groupOf = groups.All();
        var enrolled = certificates.ActiveDevices().Order(StringComparer.Ordinal).ToList();
        var ordered = request.Groups.Count == 0
            ? [enrolled]
            : request.Groups.Select(g => enrolled.Where(d => groupOf.GetValueOrDefault(d) == g).ToList()).ToList();
        var total = ordered.Sum(g => g.Count);
        var take = (int)Math.Ceiling(total * request.Percentage / 100.0);
        var chosen = new List<List<string>>();
        foreach (var group in ordered)
        {
            var part = group.Take(take - chosen.Sum(c => c.Count)).ToList();
            if (part.Count > 0)
            {
                chosen.Add(part);
            }
        }

        var cut = request.WaveSize is { } size ? [.. chosen.SelectMany(g => g).Chunk(size).Select(c => c.ToList())] : chosen;
        return [.. cut.Select((devices, i) => new RolloutWave(i + 1, [.. devices]))];
    }
}
