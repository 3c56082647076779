using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.TestKit;

/// <summary>A camera whose every capture is what the test says: a frame, a fault, a hang, or a look at the rings first.</summary>
public sealed class FakeCamera(Func<LightingMode, CameraSettings, CancellationToken, Task<CapturedFrame>> capture) : ICamera
{
    public Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken) =>
        capture(lighting, settings, cancellationToken);
}
