using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Core;

/// <summary>
/// Everything that arrives for this device, whatever carried it: capture jobs, calibration runs
/// and update orders, transfer progress, filed receipts, the host's signed orders (wipe, lease
/// renewal) and the chunks of an ordered release package. Anything
/// malformed, addressed to another device, not signed by the host (receipts, orders), replayed
/// or expired (orders) or about a series we do not hold is refused with a logged reason. The
/// appliance's counterpart of the host's inbound handler: the checks live here, in Core, and the
/// uplink only hands over a topic and its bytes.
/// </summary>
public sealed partial class HostMessageHandler(
    HostSigningKey host,
    ApplianceIdentity identity,
    ICaptureCommands coordinator,
    ISeriesStore store,
    TransferProgressBoard progress,
    IHostOrderLedger orders,
    WipeSignal wipe,
    IFirmwareUpdates updates,
    TimeProvider time,
    ILogger<HostMessageHandler> logger)
{
    /// <summary>How far ahead of the appliance's clock the host's may run before an order looks issued in the future.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Raised after a series is confirmed filed and deleted from the store.</summary>
    public event EventHandler<FiledReceipt>? SeriesDeleted;

    /// <summary>Raised with the reason when a host order is refused (forged, replayed, expired, for another device).</summary>
    public event EventHandler<string>? OrderRejected;

    public async Task HandleAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ApplianceTopics.TryParse(topic, out var deviceId, out var kind) || deviceId != identity.DeviceId)
        {
            LogRejected(logger, topic, "not a topic of this device");
            return;
        }

        switch (kind)
        {
            case ApplianceTopics.CommandKind:
                await HandleCommandAsync(topic, payload, cancellationToken);
                break;
            case ApplianceTopics.ReceiptKind:
                await HandleReceiptAsync(topic, payload, cancellationToken);
                break;
            case ApplianceTopics.ProgressKind:
                HandleProgress(topic, payload);
                break;
            case ApplianceTopics.WipeKind:
                HandleOrder(topic, payload, HostOrder.WipeKind);
                break;
            case ApplianceTopics.LeaseKind:
                HandleOrder(topic, payload, HostOrder.LeaseKind);
                break;
            case ApplianceTopics.PackageKind:
                await updates.ReceiveChunkAsync(payload, cancellationToken);
                break;
            default:
                LogRejected(logger, topic, $"devices do not read '{kind}'");
                break;
        }
    }

    private async Task HandleCommandAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<HostCommand>(payload.Span, out var command, out var error))
        {
            LogRejected(logger, topic, error);
            return;
        }

        // A forger fails first: unsigned, for another appliance, replayed or stale, it is not even read further.
        var refused = command.Check(host.PublicKey, identity.DeviceId, identity.SigningPublicKey, orders.Current.LastCommandCounter, time.GetUtcNow(), ClockSkew);
        if (refused is not null)
        {
            LogRejected(logger, topic, refused);
            if (command.CaptureJob is { } forged && CaptureJob.IsValidJobId(forged.JobId))
            {
                await coordinator.RefuseJobAsync(forged.JobId, $"command refused: {refused}", cancellationToken);
            }

            return;
        }

        // Recorded before acting, like an order: the same command cannot arm the appliance twice.
        orders.AcceptCommand(command.Counter);
        var invalid = command.Validate();
        if (invalid is not null)
        {
            LogRejected(logger, topic, invalid);
            if (command.CaptureJob is { } job)
            {
                // The host should hear why: most likely staff typed something identifying.
                await coordinator.RefuseJobAsync(CaptureJob.IsValidJobId(job.JobId) ? job.JobId : null, invalid, cancellationToken);
            }

            return;
        }

        if (command.Kind == HostCommand.UpdateKind)
        {
            await updates.AcceptOrderAsync(command.Update!, command.ExpiresAt, cancellationToken);
            return;
        }

        if (command.Kind == HostCommand.CalibrateKind)
        {
            await coordinator.StartCalibrationAsync(command.Calibration!, cancellationToken);
            return;
        }

        if (command.Kind == HostCommand.IdentifyKind)
        {
            await coordinator.IdentifyAsync(command.Identify!, cancellationToken);
            return;
        }

        await coordinator.ArmAsync(command.CaptureJob!, cancellationToken);
    }

    private void HandleOrder(string topic, ReadOnlyMemory<byte> payload, string expectedKind)
    {
        if (payload.IsEmpty)
        {
            return; // the host cleared a retained order it no longer needs
        }

        if (!ProtocolJson.TryDeserialize<HostOrder>(payload.Span, out var order, out var error))
        {
            RejectOrder(topic, error);
            return;
        }

        var now = time.GetUtcNow();
        var refused = order.Kind != expectedKind
            ? $"a '{order.Kind}' order on the {expectedKind} topic"
            : order.Check(host.PublicKey, identity.DeviceId, identity.SigningPublicKey, orders.Current.LastCounter, now, ClockSkew);
        if (refused is not null)
        {
            RejectOrder(topic, refused);
            return;
        }

        // Recorded before acting: if power fails mid-wipe, the same order cannot be used again.
        orders.Accept(order.Counter, now);
        if (order.Kind == HostOrder.WipeKind)
        {
            LogWipeOrdered(logger, order.OrderId, order.Counter);
            wipe.Request(WipeTrigger.Remote, order.OrderId);
        }
        else
        {
            LogLeaseRenewed(logger, order.Counter);
        }
    }

    private void RejectOrder(string topic, string reason)
    {
        LogOrderRejected(logger, topic, reason);
        OrderRejected?.Invoke(this, reason);
    }

    private void HandleProgress(string topic, ReadOnlyMemory<byte> payload)
    {
        if (!ProtocolJson.TryDeserialize<TransferProgress>(payload.Span, out var answer, out var error))
        {
            LogRejected(logger, topic, error);
            return;
        }

        if (!Guid.TryParse(answer.SeriesId, out _) || !DeviceId.IsValid(answer.Receiver) || answer.Missing.Any(r => r is null || r.Start < 0 || r.Count < 0))
        {
            LogRejected(logger, topic, "progress with an invalid series id, receiver or chunk range");
            return;
        }

        if (!progress.Post(answer))
        {
            LogStaleProgress(logger, answer.SeriesId, answer.State);
        }
    }

    private async Task HandleReceiptAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<FiledReceipt>(payload.Span, out var receipt, out var error))
        {
            LogRejected(logger, topic, error);
            return;
        }

        if (!SeriesSigning.VerifyBytes(host.PublicKey, receipt.SignedBytes(), receipt.Signature))
        {
            // Deleting the only copy on a forged receipt would lose the series: only the host's signature counts.
            LogRejected(logger, topic, $"receipt for series {receipt.SeriesId} is not signed by the host; keeping the series");
            return;
        }

        if (receipt.DeviceId != identity.DeviceId)
        {
            LogRejected(logger, topic, "receipt names another device");
            return;
        }

        var held = await store.FindAsync(receipt.SeriesId, cancellationToken);
        if (held is null)
        {
            // A duplicate receipt after the series is gone is normal (a resend crossed the first receipt).
            LogReceiptForUnknownSeries(logger, receipt.SeriesId);
            return;
        }

        if (!held.FrameSha256.SequenceEqual(receipt.FrameSha256 ?? []))
        {
            LogRejected(logger, topic, $"receipt for series {receipt.SeriesId} lists other frame digests; keeping the series");
            return;
        }

        await store.DeleteAsync(receipt.SeriesId, cancellationToken);
        LogDeleted(logger, receipt.SeriesId, receipt.ArchiveReference);
        SeriesDeleted?.Invoke(this, receipt);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Rejected message on {Topic}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Refused host order on {Topic}: {Reason}")]
    private static partial void LogOrderRejected(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Remote wipe ordered by the host (order {OrderId}, counter {Counter}): wiping")]
    private static partial void LogWipeOrdered(ILogger logger, string orderId, long counter);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Debug, Message = "Lease renewed by the host (counter {Counter})")]
    private static partial void LogLeaseRenewed(ILogger logger, long counter);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Series {SeriesId} filed by the host as {ArchiveReference}; deleted from the appliance")]
    private static partial void LogDeleted(ILogger logger, string seriesId, string archiveReference);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Progress for series {SeriesId} ({State}) that no upload is waiting for")]
    private static partial void LogStaleProgress(ILogger logger, string seriesId, TransferState state);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Receipt for series {SeriesId}, which is no longer held")]
    private static partial void LogReceiptForUnknownSeries(ILogger logger, string seriesId);
}
