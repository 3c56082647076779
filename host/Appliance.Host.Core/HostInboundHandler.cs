using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Transfers;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core;

/// <summary>
/// Routes every message the host reads by topic. Whatever arrives, malformed or forged, it logs
/// a reason and returns: one bad message never stops the host serving the rest.
/// </summary>
public sealed partial class HostInboundHandler(
    TransferReceiver transfers,
    FleetState fleet,
    DeviceOrderService orders,
    Calibration.CalibrationReceiver calibration,
    Jobs.JobTracker jobs,
    Rollouts.RolloutDriver rollouts,
    Rollouts.PackageServer packages,
    ILogger<HostInboundHandler> logger)
{
    public event EventHandler<string>? MessageRejected;

    public async Task HandleAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ApplianceTopics.TryParse(topic, out var deviceId, out var kind, out var receiver))
        {
            Reject(topic, "not an appliance topic");
            return;
        }

        switch (kind)
        {
            case ApplianceTopics.UploadKind:
                await transfers.OfferAsync(deviceId, payload, cancellationToken);
                break;
            case ApplianceTopics.TransferKind when receiver == transfers.InstanceId:
                await transfers.ReceiveAsync(deviceId, payload, cancellationToken);
                break;
            case ApplianceTopics.TransferKind:
                Reject(topic, $"chunks for host instance '{receiver}', not this one");
                break;
            case ApplianceTopics.StatusKind:
                await HandleStatusAsync(topic, deviceId, payload, cancellationToken);
                break;
            case ApplianceTopics.CalibrationKind:
                if (await calibration.ReceiveAsync(deviceId, payload, cancellationToken) is { } refusedProfile)
                {
                    Reject(topic, refusedProfile);
                }

                break;
            case ApplianceTopics.WipedKind:
                if (await orders.OnWipedAsync(deviceId, payload, cancellationToken) is { } refused)
                {
                    Reject(topic, refused);
                }

                break;
            case ApplianceTopics.UpdateKind:
                if (rollouts.OnReport(deviceId, payload) is { } refusedReport)
                {
                    Reject(topic, refusedReport);
                }

                break;
            case ApplianceTopics.FetchKind:
                if (await packages.OnFetchAsync(deviceId, payload, cancellationToken) is { } refusedFetch)
                {
                    Reject(topic, refusedFetch);
                }

                break;
            default:
                Reject(topic, $"the host does not read '{kind}'");
                break;
        }
    }

    private async Task HandleStatusAsync(string topic, string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<ApplianceStatus>(payload.Span, out var status, out var error))
        {
            Reject(topic, error);
            return;
        }

        var invalid = status.Validate() ?? (status.DeviceId != deviceId ? "status names another device" : null);
        if (invalid is not null)
        {
            Reject(topic, invalid);
            return;
        }

        fleet.Record(status);
        await orders.OnStatusAsync(status, cancellationToken);
        await jobs.OnStatusAsync(status, cancellationToken);
        rollouts.OnStatus(status);
    }

    private void Reject(string topic, string reason)
    {
        LogRejected(logger, topic, reason);
        MessageRejected?.Invoke(this, reason);
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Rejected message on {Topic}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string topic, string reason);
}
