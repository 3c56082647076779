namespace Appliance.Firmware.Core;

/// <summary>
/// One live connection to the host's broker, as the uplink's loops see it: publishing at least
/// once, nothing about MQTT clients, TLS or reconnection. The status publisher, the upload
/// scheduler and the wipe report each take the channel of the connection they run on.
/// </summary>
public interface IHostChannel
{
    /// <summary>False once the connection is lost: the loops end and the link reconnects.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Publishes and waits for the broker's acknowledgement. False when the broker says nobody
    /// is subscribed (the host is not listening just now); throws when it refuses the message.
    /// </summary>
    Task<bool> PublishAsync(string topic, ArraySegment<byte> payload, CancellationToken cancellationToken);
}

/// <summary>
/// The host's public signing key, from the provisioning bundle: a receipt, a command or an order
/// counts only when signed by it.
/// </summary>
public sealed record HostSigningKey(byte[] PublicKey);

/// <summary>
/// What the host's verified commands may ask of the capture side, and no more: arm for a job,
/// start a calibration run, or be told why a job was refused (so the host hears it).
/// </summary>
public interface ICaptureCommands
{
    Task<bool> ArmAsync(Protocol.CaptureJob job, CancellationToken cancellationToken);

    Task<bool> StartCalibrationAsync(Protocol.CalibrationRequest request, CancellationToken cancellationToken);

    Task RefuseJobAsync(string? jobId, string reason, CancellationToken cancellationToken);

    /// <summary>Shows the appliance (light and buzzer) if it is armed for the job named; false, and nothing shown, if it is not.</summary>
    Task<bool> IdentifyAsync(Protocol.IdentifyRequest request, CancellationToken cancellationToken);
}
