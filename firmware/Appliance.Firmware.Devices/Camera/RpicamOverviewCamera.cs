using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>The overview camera module on the Pi's second camera port, through rpicam-still (<c>Overview:CameraIndex</c>).</summary>
public sealed class RpicamOverviewCamera(RpicamCamera camera) : IOverviewCamera
{
    public Task<CapturedFrame> CaptureAsync(CameraSettings settings, CancellationToken cancellationToken) =>
        camera.CaptureAsync(LightingMode.Ambient, settings, cancellationToken);
}
