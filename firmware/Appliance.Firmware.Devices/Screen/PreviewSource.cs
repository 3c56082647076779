namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// One preview frame, RGB24, lent to the screen until it asks for the next: never stored, never
/// sent anywhere. <see cref="Timestamp"/> is when the camera delivered it (the time provider's
/// timestamp), so the screen's latency can be measured to the frame's last byte on the panel.
/// </summary>
public sealed record PreviewFrame(byte[] Rgb24, int Width, int Height, long Timestamp);

/// <summary>A camera's preview stream, at a small size, until cancelled.</summary>
public interface IPreviewSource
{
    IAsyncEnumerable<PreviewFrame> StreamAsync(PreviewCamera camera, int width, int height, CancellationToken cancellationToken);
}
