using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// Tells the host what the appliance is doing: on each connection whether it can take jobs
/// (online, or unsafe with the failed checks), then every status change as it happens, each taken
/// off the feed only once the broker has it, so a cut link loses none. The calibration profile a
/// status names goes first, once per run of the firmware (about 10 KB; the host ignores one it has).
/// </summary>
public sealed class StatusPublisher(
    ApplianceIdentity identity,
    ISeriesStore store,
    StatusFeed feed,
    ISystemIntegrity integrity,
    ICalibrationState calibration,
    TimeProvider time)
{
    // The calibration profile the broker has taken for the host: sent once, not at every reconnection.
    private string? _profileSent;

    /// <summary>Queues this connection's first status and sends the profile if the host may not hold it.</summary>
    public async Task AnnounceAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        var problems = integrity.Problems;
        feed.Publish(new ApplianceStatus(
            identity.DeviceId,
            problems.Count == 0 ? ApplianceState.Online : ApplianceState.Unsafe,
            identity.FirmwareVersion,
            await store.CountAsync(cancellationToken),
            time.GetUtcNow(),
            Reason: problems.Count == 0 ? null : string.Join("; ", problems),
            CalibratedAt: calibration.Current?.CreatedAt,
            CalibrationDeltaE: calibration.Current?.Rings.Max(r => r.DeltaEMeanAfter),
            IntegrityCheckedAt: integrity.CheckedAt,
            // Which key this appliance holds, so the host binds its orders to that key
            // (after a rotation: from the moment the new package is enrolled, not before).
            SigningKey: Convert.ToBase64String(identity.SigningPublicKey)));
        await SendProfileIfNewAsync(channel, cancellationToken);
    }

    /// <summary>Sends status changes until cancelled or the link fails (which it throws).</summary>
    public async Task RunAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        while (await feed.Reader.WaitToReadAsync(cancellationToken))
        {
            while (feed.Reader.TryPeek(out var status))
            {
                // A run that just calibrated says so in its status: the host should hold the profile first.
                await SendProfileIfNewAsync(channel, cancellationToken);
                _ = await channel.PublishAsync(ApplianceTopics.Status(identity.DeviceId), ProtocolJson.Serialize(status), cancellationToken);
                feed.Reader.TryRead(out _); // taken off only once sent, so a cut link does not lose it
            }
        }
    }

    private async Task SendProfileIfNewAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        if (calibration.Current is { } profile && profile.ProfileId != _profileSent
            && await channel.PublishAsync(ApplianceTopics.Calibration(identity.DeviceId), ProtocolJson.Serialize(profile), cancellationToken))
        {
            _profileSent = profile.ProfileId;
        }
    }
}
