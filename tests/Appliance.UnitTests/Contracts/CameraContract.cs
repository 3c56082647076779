using Appliance.DeviceContracts;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests.Contracts;

public sealed class SimulatedCameraContract : CameraContract
{
    protected override ICamera Camera { get; } = new SimulatedCamera(new FrameBufferPool());
}

public sealed class RpicamCameraContract : CameraContract
{
    public RpicamCameraContract()
    {
        Directory.CreateDirectory(Scratch);
        var truth = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, Settings.Width, Settings.Height, false);
        var known = Folder.Combine("known.bmp");
        File.WriteAllBytes(known, Bmp24.Encode(truth.Width, truth.Height, truth.Pixels));
        var tool = FakeCameraTool.Write(Folder.Path, "rpicam-still", "--output", known, """cp "$KNOWN" "$OUT" """);
        Camera = new RpicamCamera(Options.Create(new RpicamOptions { Executable = tool, ScratchFolder = Scratch }), new FrameBufferPool(), TimeProvider.System, NullLogger<RpicamCamera>.Instance);
    }

    protected override ICamera Camera { get; }
}

public sealed class V4l2CameraContract : CameraContract
{
    public V4l2CameraContract()
    {
        Directory.CreateDirectory(Scratch);
        var truth = SimulatedCamera.Render(new SimulatedScene(), LightingMode.NonPolarised, Settings.Width, Settings.Height, false);
        var known = Folder.Combine("known.yuyv");
        File.WriteAllBytes(known, Yuyv.FromRgb24(truth.Pixels));
        var tool = FakeCameraTool.Write(Folder.Path, "v4l2-ctl", "--stream-to", known, """cp "$KNOWN" "$OUT" """);
        Camera = new V4l2Camera(Options.Create(new V4l2Options { Executable = tool, ScratchFolder = Scratch, Device = "/dev/video7" }), new FrameBufferPool(), TimeProvider.System, NullLogger<V4l2Camera>.Instance);
    }

    protected override ICamera Camera { get; }
}
