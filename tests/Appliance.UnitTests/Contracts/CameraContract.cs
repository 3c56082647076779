using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests.Contracts;

/// <summary>
/// What every camera backend promises the capture stage: a frame of exactly the size asked
/// for, in RGB24, tagged with the ring it was taken under, and a cancelled capture that ends as
/// a cancellation (not a fault staff would be shown). Run against the simulator, rpicam-still
/// with a fake tool, and V4L2 with a fake v4l2-ctl.
/// </summary>
public abstract class CameraContract : IDisposable
{
    protected static readonly CameraSettings Settings = new(64, 48, TimeSpan.FromMilliseconds(8), 1.0, 1.8, 1.5, 8.0);

    protected TempFolder Folder { get; } = new("camera-contract");

    protected string Scratch => Folder.Combine("scratch");

    /// <summary>The backend under test, set up so that its captures succeed.</summary>
    protected abstract ICamera Camera { get; }

    public void Dispose()
    {
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(LightingMode.CrossPolarised)]
    [InlineData(LightingMode.NonPolarised)]
    public async Task ACapture_IsAnRgb24FrameOfTheSizeAskedFor_UnderTheRingAskedFor(LightingMode lighting)
    {
        var frame = await Camera.CaptureAsync(lighting, Settings, CancellationToken.None);

        Assert.Equal((lighting, Settings.Width, Settings.Height, CapturedFrame.Rgb24), (frame.Lighting, frame.Width, frame.Height, frame.PixelFormat));
        Assert.True(frame.Pixels.Length >= Settings.Width * Settings.Height * 3, $"{frame.Pixels.Length} bytes for a {Settings.Width}×{Settings.Height} RGB24 frame");
        Assert.Contains(frame.Pixels.Take(Settings.Width * Settings.Height * 3), b => b != 0);
    }

    [Fact]
    public async Task ACancelledCapture_EndsAsACancellation_NotAFault()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Camera.CaptureAsync(LightingMode.CrossPolarised, Settings, cancelled.Token));
    }
}

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
