using System.Text.Json.Serialization;
using Appliance.Protocol.Releases;

namespace Appliance.Host.Core.Rollouts;

[JsonConverter(typeof(JsonStringEnumConverter<RolloutState>))]
public enum RolloutState
{
    /// <summary>Orders go out, wave after wave.</summary>
    Running,

    /// <summary>By an admin: no new orders and no chunks until resumed; what is installed stays.</summary>
    Paused,

    /// <summary>By the host: a wave failed or rolled back above the rollout's limit. Resume or cancel.</summary>
    Halted,

    /// <summary>By an admin, for good: no more orders or chunks.</summary>
    Cancelled,

    /// <summary>Every appliance in it has an outcome.</summary>
    Completed,
}

/// <summary>One wave: the appliances ordered together; the next wave starts when all of them have an outcome.</summary>
public sealed record RolloutWave(int Number, string[] Devices);

/// <summary>
/// A staged rollout of one release: the appliances of the named groups (all, when none is named)
/// in the order the groups were given, the first <see cref="Percentage"/> per cent of them, in
/// waves (a group per wave, or <c>waveSize</c> appliances per wave). A wave in which more than
/// <see cref="HaltAbove"/> of the appliances refuse the release or roll it back halts the rollout.
/// </summary>
public sealed record Rollout(
    string RolloutId,
    string Version,
    string Architecture,
    string[] Groups,
    int Percentage,
    double HaltAbove,
    RolloutWave[] Waves,
    RolloutState State,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset ChangedAt,
    string? Reason = null,
    DateTimeOffset? FailuresCountFrom = null)
{
    /// <summary>Whether a failure counts towards a halt: those an admin resumed past do not halt it again.</summary>
    public bool Counts(DeviceUpdate update) => update is { Failed: true } && (FailuresCountFrom is not { } from || update.UpdatedAt >= from);

    public bool IsActive => State is RolloutState.Running or RolloutState.Paused or RolloutState.Halted;

    public int? WaveOf(string deviceId) => Waves.FirstOrDefault(w => w.Devices.Contains(deviceId, StringComparer.Ordinal))?.Number;
}

/// <summary>Where one appliance stands in a rollout, from the host's orders and the appliance's reports.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeviceUpdateState>))]
public enum DeviceUpdateState
{
    /// <summary>Its wave has not started, or it has not been online since.</summary>
    Pending,

    /// <summary>An order was sent; no report yet.</summary>
    Ordered,

    Downloading,

    /// <summary>Downloaded; installs when the job armed on it ends.</summary>
    Waiting,

    /// <summary>Installed and restarting into it: on trial until healthy.</summary>
    Installed,

    Healthy,

    Refused,

    RolledBack,
}

public sealed record DeviceUpdate(
    string RolloutId,
    string DeviceId,
    DeviceUpdateState State,
    DateTimeOffset UpdatedAt,
    string? OrderId = null,
    DateTimeOffset? OrderExpiresAt = null,
    string? Reason = null,
    int? ChunksHeld = null,
    int? ChunkCount = null,
    string? RunningVersion = null)
{
    /// <summary>An outcome the wave counts: the appliance is done with this rollout, one way or the other.</summary>
    public bool IsFinished => State is DeviceUpdateState.Healthy or DeviceUpdateState.Refused or DeviceUpdateState.RolledBack;

    public bool Failed => State is DeviceUpdateState.Refused or DeviceUpdateState.RolledBack;

    public static DeviceUpdateState From(UpdateState state) => state switch
    {
        UpdateState.Downloading => DeviceUpdateState.Downloading,
        UpdateState.Waiting => DeviceUpdateState.Waiting,
        UpdateState.Refused => DeviceUpdateState.Refused,
        UpdateState.Installed => DeviceUpdateState.Installed,
        UpdateState.Healthy => DeviceUpdateState.Healthy,
        _ => DeviceUpdateState.RolledBack,
    };
}

/// <summary>Rollouts and each appliance's progress in them; the command line writes a rollout's control, the running host its progress.</summary>
public interface IRolloutStore
{
    IReadOnlyList<Rollout> List();

    Rollout? Find(string rolloutId);

    void Save(Rollout rollout);

    IReadOnlyList<DeviceUpdate> Progress(string rolloutId);

    /// <summary>One appliance's progress in a rollout (one file, not the wave's): read for every chunk request and report.</summary>
    DeviceUpdate? FindProgress(string rolloutId, string deviceId);

    void SaveProgress(DeviceUpdate update);
}

/// <summary>The group each appliance belongs to (<c>canary</c>, <c>clinic-a</c>): rollouts are staged by group.</summary>
public interface IDeviceGroups
{
    IReadOnlyDictionary<string, string> All();

    void Set(string deviceId, string? group);
}
