using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Calibration;

/// <summary>
/// Starts a calibration run on an appliance: the admin (or a dermatologist) asks here, the
/// appliance prompts staff for the white card and the target on its LED and in its status, and
/// sends the new signed profile when the run is accepted. Only appliances holding a live
/// certificate can be asked; the request lapses after <see cref="Lifetime"/>.
/// </summary>
public sealed partial class CalibrationRunService(
    IDeviceMessagePublisher publisher,
    Orders.HostCommandSigner signer,
    IDeviceCertificates certificates,
    IAuditTrail audit,
    TimeProvider time,
    ILogger<CalibrationRunService> logger)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    public async Task<CalibrationRequest> RequestAsync(string deviceId, string actor, CancellationToken cancellationToken)
    {
        DeviceId.EnsureValid(deviceId);
        if (!certificates.ActiveDevices().Contains(deviceId, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"{deviceId} is not an enrolled appliance with a live certificate");
        }

        var now = time.GetUtcNow();
        var request = new CalibrationRequest(Guid.NewGuid().ToString("N"), now, now + Lifetime);
        var command = signer.Sign(new HostCommand(HostCommand.CalibrateKind, null, request), deviceId, request.ExpiresAt);
        await publisher.PublishAsync(ApplianceTopics.Command(deviceId), ProtocolJson.Serialize(command), cancellationToken);
        audit.Append(AuditKinds.CalibrationRequested, actor, deviceId, $"run {request.RunId}");
        LogRequested(logger, request.RunId, deviceId);
        return request;
    }

    [LoggerMessage(EventId = 5611, Level = LogLevel.Information, Message = "Calibration run {RunId} requested on {DeviceId}")]
    private static partial void LogRequested(ILogger logger, string runId, string deviceId);
}
