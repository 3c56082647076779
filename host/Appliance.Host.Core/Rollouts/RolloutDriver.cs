using System.Collections.Concurrent;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Orders;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Rollouts;

/// <summary>Section <c>Updates</c>: how the host delivers releases.</summary>
public sealed class UpdateDeliveryOptions
{
    public const string Section = "Updates";

    /// <summary>Package chunk size; each is one MQTT message (under the broker's 2 MiB packet limit).</summary>
    public int ChunkSize { get; set; } = 128 * 1024;

    /// <summary>How long an update order is good for: an appliance installs only under an unexpired order.</summary>
    public TimeSpan OrderLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A running rollout's order is sent again this long before it expires, if the appliance is not done.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Carries out the running rollouts: sends the current wave's appliances their signed update
/// orders (when they are online; again when they come back online or the order nears expiry),
/// records their reports, halts a rollout whose wave fails above its limit, moves to the next wave
/// when every appliance of this one has an outcome, and completes it after the last.
/// </summary>
public sealed partial class RolloutDriver(
    IRolloutStore store,
    ReleasePackages packages,
    Releases.ReleaseLibrary releases,
    HostCommandSigner signer,
    IDeviceMessagePublisher publisher,
    FleetState fleet,
    IAuditTrail audit,
    TimeProvider time,
    IOptions<UpdateDeliveryOptions> options,
    ILogger<RolloutDriver> logger)
{
    private readonly ConcurrentDictionary<string, bool> _resend = new(StringComparer.Ordinal);

    /// <summary>Raised when something changed that the driver should act on (a report, an appliance back online).</summary>
    public event EventHandler? Changed;

    public async Task TickAsync(CancellationToken cancellationToken)
    {
        foreach (var rollout in store.List().Where(r => r.State == RolloutState.Running))
        {
            await DriveAsync(rollout, cancellationToken);
        }
    }

    /// <summary>An appliance reported online: a running rollout's order goes to it again (it may have restarted without it).</summary>
    public void OnStatus(ApplianceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.State == ApplianceState.Online)
        {
            _resend[status.DeviceId] = true;
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <summary>An appliance's update report; null when accepted, else why it was refused.</summary>
    public string? OnReport(string deviceId, ReadOnlyMemory<byte> payload)
    {
        if (!ProtocolJson.TryDeserialize<UpdateReport>(payload.Span, out var report, out var error))
        {
            return error;
        }

        if ((report.Validate() ?? (report.DeviceId != deviceId ? "report names another device" : null)) is { } invalid)
        {
            return invalid;
        }

        var rollout = store.Find(report.RolloutId);
        if (rollout?.WaveOf(deviceId) is null)
        {
            return $"report for rollout {report.RolloutId}, which does not include {deviceId}";
        }

        var before = store.FindProgress(rollout.RolloutId, deviceId);
        var state = DeviceUpdate.From(report.State);
        // Reports come in order; one that crossed an outcome (a late "downloading") does not undo it.
        if (before is { IsFinished: true } && state is not (DeviceUpdateState.RolledBack or DeviceUpdateState.Healthy))
        {
            return null;
        }

        store.SaveProgress((before ?? new DeviceUpdate(rollout.RolloutId, deviceId, state, time.GetUtcNow())) with
        {
            State = state,
            UpdatedAt = time.GetUtcNow(),
            Reason = report.Reason,
            ChunksHeld = report.ChunksHeld,
            ChunkCount = report.ChunkCount,
            RunningVersion = report.RunningVersion,
        });
        if (AuditKindOf(report.State) is { } kind && before?.State != state)
        {
            audit.Append(kind, deviceId, rollout.RolloutId, $"{report.Version} (running {report.RunningVersion}){(report.Reason is null ? string.Empty : ": " + report.Reason)}");
        }

        LogReport(logger, deviceId, report.Version, report.State, report.Reason ?? string.Empty);
        Changed?.Invoke(this, EventArgs.Empty);
        return null;
    }

    private async Task DriveAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        var progress = store.Progress(rollout.RolloutId).ToDictionary(p => p.DeviceId, StringComparer.Ordinal);
        foreach (var wave in rollout.Waves)
        {
            var entries = wave.Devices.Select(d => progress.GetValueOrDefault(d)).ToList();
            var failed = entries.Count(e => e is not null && rollout.Counts(e));
            if (failed > rollout.HaltAbove * wave.Devices.Length)
            {
                Halt(rollout, $"{failed} of {wave.Devices.Length} appliances in wave {wave.Number} refused or rolled back {rollout.Version} (limit {rollout.HaltAbove:P0})");
                return;
            }

            if (entries.All(e => e is { IsFinished: true }))
            {
                continue;
            }

            foreach (var deviceId in wave.Devices)
            {
                await OrderIfDueAsync(rollout, deviceId, progress.GetValueOrDefault(deviceId), cancellationToken);
            }

            return; // the next wave waits for this one
        }

        store.Save(rollout with { State = RolloutState.Completed, ChangedAt = time.GetUtcNow() });
        var outcomes = progress.Values.GroupBy(p => p.State).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
        audit.Append(AuditKinds.RolloutCompleted, "host", rollout.RolloutId, $"{rollout.Version}: {string.Join(", ", outcomes)}");
    }

    private async Task OrderIfDueAsync(Rollout rollout, string deviceId, DeviceUpdate? entry, CancellationToken cancellationToken)
    {
        if (entry is { IsFinished: true } || !fleet.Latest.TryGetValue(deviceId, out var status) || status.State is ApplianceState.Offline or ApplianceState.Wiping)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (entry is null && status.FirmwareVersion == rollout.Version)
        {
            store.SaveProgress(new DeviceUpdate(rollout.RolloutId, deviceId, DeviceUpdateState.Healthy, now, Reason: $"{rollout.Version} was already running", RunningVersion: status.FirmwareVersion));
            return;
        }

        var resend = _resend.TryRemove(deviceId, out _);
        var due = entry?.OrderExpiresAt is not { } expires || expires - options.Value.RenewBefore <= now || resend;
        // Installed: on trial, or rolled back; it reports which, and is not sent the release again.
        if (!due || entry?.State == DeviceUpdateState.Installed)
        {
            return;
        }

        var o = options.Value;
        var package = packages.Describe(rollout.Version, rollout.Architecture, o.ChunkSize);
        var order = new UpdateOrder(Guid.NewGuid().ToString("N"), rollout.RolloutId, rollout.Version, package.Size, package.Sha256, package.ChunkSize, package.ChunkSha256,
            // Every rotation the host holds: the appliance passes over those it already has.
            KeyRotations: releases.KeyRotations() is { Count: > 0 } rotations ? [.. rotations] : null);
        var command = signer.Sign(new HostCommand(HostCommand.UpdateKind, Update: order), deviceId, now + o.OrderLifetime);
        await publisher.PublishAsync(ApplianceTopics.Command(deviceId), ProtocolJson.Serialize(command), cancellationToken);
        store.SaveProgress((entry ?? new DeviceUpdate(rollout.RolloutId, deviceId, DeviceUpdateState.Ordered, now)) with
        {
            UpdatedAt = now,
            OrderId = order.OrderId,
            OrderExpiresAt = command.ExpiresAt,
        });
        if (entry is null)
        {
            audit.Append(AuditKinds.UpdateOrdered, "host", deviceId, $"{rollout.RolloutId}: {rollout.Version}, {package.Size} bytes in {order.ChunkCount} chunks");
        }

        LogOrdered(logger, deviceId, rollout.Version, order.OrderId);
    }

    private void Halt(Rollout rollout, string reason)
    {
        store.Save(rollout with { State = RolloutState.Halted, ChangedAt = time.GetUtcNow(), Reason = reason });
        audit.Append(AuditKinds.RolloutHalted, "host", rollout.RolloutId, reason);
        LogHalted(logger, rollout.RolloutId, reason);
    }

    private static string? AuditKindOf(UpdateState state) => state switch
    {
        UpdateState.Installed => AuditKinds.UpdateInstalled,
        UpdateState.Healthy => AuditKinds.UpdateHealthy,
        UpdateState.Refused => AuditKinds.UpdateRefused,
        UpdateState.RolledBack => AuditKinds.UpdateRolledBack,
        _ => null,
    };

    [LoggerMessage(EventId = 5701, Level = LogLevel.Information, Message = "Update order {OrderId} for {Version} sent to {DeviceId}")]
    private static partial void LogOrdered(ILogger logger, string deviceId, string version, string orderId);

    [LoggerMessage(EventId = 5702, Level = LogLevel.Information, Message = "Update report from {DeviceId}: {Version} {State} {Reason}")]
    private static partial void LogReport(ILogger logger, string deviceId, string version, UpdateState state, string reason);

    [LoggerMessage(EventId = 5703, Level = LogLevel.Warning, Message = "Rollout {RolloutId} halted: {Reason}")]
    private static partial void LogHalted(ILogger logger, string rolloutId, string reason);
}
