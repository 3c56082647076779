using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.TestFixtures;

namespace Appliance.DeviceContracts;

/// <summary>
/// What every camera backend promises the capture stage: a frame of exactly the size asked
/// for, in RGB24, tagged with the ring it was taken under, and a cancelled capture that ends as
/// a cancellation (not a fault staff would be shown). Run by the unit tests against the
/// simulator, rpicam-still with a fake tool and V4L2 with a fake v4l2-ctl, and by the hardware
/// tests against the camera module on a Pi.
/// </summary>
public abstract class CameraContract : IDisposable
{
    /// <summary>What each capture asks for: a small frame for the fakes, the firmware's own settings on a real camera.</summary>
    protected virtual CameraSettings Settings { get; } = new(64, 48, TimeSpan.FromMilliseconds(8), 1.0, 1.8, 1.5, 8.0);

    protected TempFolder Folder { get; } = new("camera-contract");

    protected string Scratch => Folder.Combine("scratch");

    /// <summary>The backend under test, set up so that its captures succeed.</summary>
    protected abstract ICamera Camera { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Folder.Dispose();
        }
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
