using Appliance.DeviceContracts;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.HardwareTests;

/// <summary>The camera contract on the Pi's camera module through rpicam-still, at the firmware's own capture settings.</summary>
[Trait("Category", OnThePi.Category)]
public sealed class CameraModuleContract : CameraContract
{
    private readonly OnThePi _pi = new();

    protected override CameraSettings Settings => _pi.Service<IOptions<CaptureOptions>>().Value.ToCameraSettings();

    protected override ICamera Camera => _pi.Service<ICamera>();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pi.Dispose();
        }

        base.Dispose(disposing);
    }
}
