using System.Globalization;
using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Updates;

/// <summary>
/// A new release's trial. When this firmware is the release on trial it must, before the trial's
/// deadline (the switch plus <c>Update:HealthWindow</c>), have started, passed the operating-system
/// checks and connected to the host; then it is confirmed: the security floor rises to its
/// manifest's, the trial ends and the host hears <c>Healthy</c>. At the deadline without that, it
/// restores the previous release, records why, and stops so the unit starts that one. A release
/// that cannot even get this far (it crashes at start) is rolled back by the guard the unit runs
/// before each start, which counts the starts.
/// </summary>
public sealed partial class ReleaseHealthGate(
    UpdateOptions options,
    ReleaseLayout layout,
    UpdateReports reports,
    ApplianceIdentity identity,
    ISystemIntegrity integrity,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ReleaseHealthGate> logger) : BackgroundService
{
    private readonly TaskCompletionSource _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _connected;

    /// <summary>The trial this firmware is on, read at start; null when it is not on trial.</summary>
    public ReleaseTrial? Trial { get; private set; } = ReadOwnTrial(layout, identity);

    /// <summary>
    /// Called on each connection, once the appliance has announced itself: confirms the trial if
    /// the checks pass. Returns whether this firmware is now confirmed (or was never on trial).
    /// </summary>
    public bool OnConnected()
    {
        _connected = true;
        if (Trial is not { } trial)
        {
            return true;
        }

        if (integrity.Enforced && integrity.Problems.Count > 0)
        {
            LogNotYetHealthy(logger, trial.Version, string.Join("; ", integrity.Problems));
            return false;
        }

        // Both rise only now: until the release is confirmed, the one before it must still be able to run here.
        var floor = Math.Max(options.ReadFloor(), trial.SecurityFloor);
        WriteNumber(UpdateOptions.FloorFile, floor);
        WriteNumber(UpdateOptions.StoreFormatFile, Math.Max(options.ReadNumber(UpdateOptions.StoreFormatFile), trial.StoreFormat));
        ReleaseTrial.Remove(layout.Root);
        Trial = null;
        reports.Post(trial.OrderId, trial.RolloutId, trial.Version, UpdateState.Healthy, $"started, passed its checks and connected; security floor {floor}");
        LogConfirmed(logger, trial.Version, floor);
        _confirmed.TrySetResult();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Trial is not { } trial)
        {
            return;
        }

        var remaining = trial.Deadline - time.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            _ = await Task.WhenAny(_confirmed.Task, Task.Delay(remaining, time, stoppingToken));
        }

        if (_confirmed.Task.IsCompleted || stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var reason = !_connected ? $"{trial.Version} did not connect to the host within the health window"
            : $"{trial.Version} failed its checks within the health window: {string.Join("; ", integrity.Problems)}";
        RollBack(trial, reason);
    }

    /// <summary>
    /// For a release on trial that finds, before it can run at all, that it cannot (a part its
    /// configuration names is missing: an exit the unit would not restart): the previous release
    /// is restored, so that the restart the caller then asks for (any other exit) starts it.
    /// False, and nothing changed, when <paramref name="runningVersion"/> is not on trial.
    /// </summary>
    public static bool RollBackUnfit(ReleaseLayout layout, string? runningVersion, string reason)
    {
        if (ReleaseTrial.Read(layout.Root) is not { } trial || trial.Version != runningVersion)
        {
            return false;
        }

        RestorePrevious(layout, trial, reason);
        return true;
    }

    private static bool RestorePrevious(ReleaseLayout layout, ReleaseTrial trial, string reason)
    {
        new ReleaseRollback(trial.Version, trial.Previous, trial.OrderId, trial.RolloutId, reason).Write(layout.Root);
        var restored = layout.RollBack();
        ReleaseTrial.Remove(layout.Root);
        return restored;
    }

    private void RollBack(ReleaseTrial trial, string reason)
    {
        var restored = RestorePrevious(layout, trial, reason);
        LogRolledBack(logger, trial.Version, trial.Previous, reason, restored);
        // The unit restarts the firmware: from now on that is the previous release.
        lifetime.StopApplication();
    }

    private void WriteNumber(string file, int value) =>
        AtomicRename.ReplaceFile(Path.Combine(layout.Root, file), System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture) + "\n"));

    /// <summary>The trial file, if it names this firmware; a trial for another release is stale (a power cut before the switch) and removed.</summary>
    private static ReleaseTrial? ReadOwnTrial(ReleaseLayout layout, ApplianceIdentity identity)
    {
        var trial = ReleaseTrial.Read(layout.Root);
        if (trial is null || trial.Version == identity.FirmwareVersion)
        {
            return trial;
        }

        ReleaseTrial.Remove(layout.Root);
        return null;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Release {Version} confirmed healthy; security floor {Floor}")]
    private static partial void LogConfirmed(ILogger logger, string version, int floor);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Release {Version} is on trial and not yet healthy: {Problems}")]
    private static partial void LogNotYetHealthy(ILogger logger, string version, string problems);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Release {Version} rolled back to {Previous}: {Reason} (restored: {Restored})")]
    private static partial void LogRolledBack(ILogger logger, string version, string previous, string reason, bool restored);
}
