using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// The uplink's part in a remote wipe, once uploads have stopped: says the order arrived (the
/// host's "delivered"), lets the eraser close the store, and sends the signed report once it exists.
/// </summary>
public sealed partial class WipeReporter(
    ApplianceIdentity identity,
    WipeSignal wipe,
    TimeProvider time,
    ILogger<WipeReporter> logger)
{
    /// <summary>Bounded: an eraser that failed must not keep the link open for ever.</summary>
    private static readonly TimeSpan ReportWait = TimeSpan.FromSeconds(30);

    public async Task ReportAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        var request = await wipe.Requested;
        try
        {
            var wiping = new ApplianceStatus(identity.DeviceId, ApplianceState.Wiping, identity.FirmwareVersion, 0, time.GetUtcNow(), OrderId: request.OrderId);
            _ = await channel.PublishAsync(ApplianceTopics.Status(identity.DeviceId), ProtocolJson.Serialize(wiping), cancellationToken);
        }
        finally
        {
            wipe.ParkUplink();
        }

        var report = await wipe.Report.WaitAsync(ReportWait, time, cancellationToken);
        if (await channel.PublishAsync(ApplianceTopics.Wiped(identity.DeviceId), ProtocolJson.Serialize(report), cancellationToken))
        {
            wipe.MarkReportSent();
        }

        LogWipeReported(logger, request.OrderId);
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Wipe report for order {OrderId} sent to the host; disconnecting for good")]
    private static partial void LogWipeReported(ILogger logger, string? orderId);
}
