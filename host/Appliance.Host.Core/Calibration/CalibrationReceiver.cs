using Appliance.Host.Core.Audit;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Calibration;

/// <summary>
/// Takes the calibration profiles appliances send: each must be well formed, name the device
/// whose topic it came on, and carry that device's signature (any key the host registered for
/// it, as series do); a new one is kept and audited with its held-out ΔE00, a known one ignored.
/// </summary>
public sealed partial class CalibrationReceiver(ICalibrationProfiles profiles, IDeviceSigningKeys keys, IAuditTrail audit, TimeProvider time, ILogger<CalibrationReceiver> logger)
{
    public event EventHandler<CalibrationProfile>? ProfileReceived;

    /// <returns>Why the profile was refused, or null.</returns>
    public async Task<string?> ReceiveAsync(string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<CalibrationProfile>(payload.Span, out var profile, out var error))
        {
            return error;
        }

        var invalid = profile.Validate() ?? (profile.DeviceId != deviceId ? "profile names another device" : null);
        if (invalid is not null)
        {
            return invalid;
        }

        if (!keys.Ring(deviceId).Accepted(time.GetUtcNow()).Any(key => SeriesSigning.VerifyBytes(key.Bytes, profile.SignedBytes(), profile.Signature)))
        {
            return "calibration profile not signed by the device's key";
        }

        var added = await profiles.AddProfileAsync(profile, cancellationToken);
        if (added == ProfileAdded.IdTakenByAnotherDevice)
        {
            audit.Append(AuditKinds.CalibrationRefused, deviceId, profile.ProfileId, "profile id already held by another appliance");
            return "profile id already held by another appliance";
        }

        if (added == ProfileAdded.Added)
        {
            var figures = string.Join(", ", profile.Rings.Select(r => $"{r.Ring} ΔE00 {r.DeltaEMeanAfter:F2} (worst {r.DeltaEMaxAfter:F2}), {r.PixelsPerMillimetre:F2} px/mm"));
            audit.Append(AuditKinds.CalibrationReceived, deviceId, profile.ProfileId, $"valid until {profile.ExpiresAt:O}; {figures}");
            LogReceived(logger, profile.ProfileId, deviceId, figures);
        }

        ProfileReceived?.Invoke(this, profile);
        return null;
    }

    [LoggerMessage(EventId = 5601, Level = LogLevel.Information, Message = "Calibration profile {ProfileId} from {DeviceId}: {Figures}")]
    private static partial void LogReceived(ILogger logger, string profileId, string deviceId, string figures);
}
