using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace Appliance.UnitTests;

/// <summary>The V4L2 (USB camera) backend against fake <c>v4l2-ctl</c> scripts that check their arguments and write a known raw frame.</summary>
public sealed class V4l2CameraTests : IDisposable
{
    private static readonly CameraSettings Settings = new(64, 48, TimeSpan.FromMilliseconds(8), 1.0, 1.8, 1.5, 8.0);
    private readonly TempFolder _folder = new("v4l2");

    /// <summary>Flat colour patches two pixels wide, so 4:2:2 chroma loses nothing and the truth is exact.</summary>
    private readonly byte[] _truth = Patches(64, 48);

    private string Scratch => _folder.Combine("scratch");

    private static byte[] Patches(int width, int height)
    {
        (byte, byte, byte)[] colours = [(115, 82, 68), (194, 150, 130), (98, 122, 157), (87, 108, 67), (133, 128, 177), (103, 189, 170), (214, 126, 44), (80, 91, 166)];
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = colours[((y / 12 * 4) + (x / 16)) % colours.Length];
                var i = ((y * width) + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = (r, g, b);
            }
        }

        return rgb;
    }

    private string FakeExecutable(string body)
    {
        Directory.CreateDirectory(Scratch);
        var known = _folder.Combine("known.yuyv");
        File.WriteAllBytes(known, Yuyv.FromRgb24(_truth));
        return FakeCameraTool.Write(_folder.Path, "v4l2-ctl", "--stream-to", known, body);
    }

    private V4l2Camera Camera(string executable, TimeSpan? timeout = null, bool focus = true) =>
        new(
            Options.Create(new V4l2Options { Executable = executable, ScratchFolder = Scratch, Device = "/dev/video7", Timeout = timeout ?? TimeSpan.FromSeconds(10), Gain = 16, HasFocusControl = focus }),
            new FrameBufferPool(),
            TimeProvider.System,
            NullLogger<V4l2Camera>.Instance);

    [Fact]
    public async Task Capture_PinsEveryControl_ReturnsTheImage_AndLeavesNoFileBehind()
    {
        const string before = "--device /dev/video7 --set-fmt-video width=64,height=48,pixelformat=YUYV "
            + "--set-ctrl auto_exposure=1,exposure_time_absolute=80,white_balance_automatic=0,white_balance_temperature=5000,gain=16,focus_automatic_continuous=0,focus_absolute=8 "
            + "--stream-mmap --stream-skip 3 --stream-count 1 --stream-to ";
        var exe = FakeExecutable($$"""
            if [[ "$args" != "{{before}}"* ]]; then echo "unexpected arguments: $args" >&2; exit 64; fi
            cp "$KNOWN" "$OUT"
            """);

        var frame = await Camera(exe).CaptureAsync(LightingMode.NonPolarised, Settings, CancellationToken.None);

        Assert.Equal((64, 48, CapturedFrame.Rgb24), (frame.Width, frame.Height, frame.PixelFormat));
        var worst = frame.Pixels.Zip(_truth, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 2, $"largest difference from the truth: {worst} levels");
        Assert.Empty(Directory.EnumerateFiles(Scratch));
    }

    [Fact]
    public void WithoutAFocusMotor_NoFocusControlIsSent()
    {
        var arguments = V4l2Camera.Arguments(new V4l2Options { HasFocusControl = false }, Settings, "/dev/shm/x");

        Assert.DoesNotContain(arguments, a => a.Contains("focus", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""head -c 3000 "$KNOWN" > "$OUT" """, "not the 6144")]
    [InlineData("""cat "$KNOWN" "$KNOWN" > "$OUT" """, "another size")]
    [InlineData(""": """, "wrote no frame")]
    public async Task TruncatedWrongSizedOrMissingOutput_IsAFaultWithReason(string body, string reason)
    {
        var exe = FakeExecutable(body);

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(exe).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None));

        Assert.Contains(reason, fault.Message);
        Assert.Empty(Directory.EnumerateFiles(Scratch));
    }

    [Fact]
    public async Task NoSuchDevice_IsAFaultNamingIt()
    {
        var exe = FakeExecutable("""echo "Cannot open device /dev/video7, exiting." >&2; exit 1""");

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(exe).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None));

        Assert.Contains("v4l2-ctl", fault.Message);
        Assert.Contains("Cannot open device /dev/video7", fault.Message);
    }

    [Fact]
    public async Task HangingStream_IsKilledAtTheTimeout()
    {
        var exe = FakeExecutable("""exec sleep 30""");

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(exe, TimeSpan.FromMilliseconds(300)).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None));

        Assert.Contains("killed", fault.Message);
    }

    [Fact]
    public void YuyvDecoding_AgreesWithOpenCv()
    {
        // A camera's YUYV stays in the legal ranges, as a converted frame does.
        var yuyv = Yuyv.FromRgb24(SimulatedCamera.Render(new SimulatedScene { GlareSpots = 30 }, LightingMode.NonPolarised, 64, 48, false).Pixels);
        var ours = new byte[64 * 48 * 3];
        Yuyv.ToRgb24(yuyv, ours);

        using var source = Mat.FromPixelData(48, 64, MatType.CV_8UC2, yuyv);
        using var theirs = new Mat();
        Cv2.CvtColor(source, theirs, ColorConversionCodes.YUV2RGB_YUYV);
        var worst = OpenCvReference.WorstDifference(ours, theirs);

        Assert.True(worst <= 2, $"largest difference from OpenCV: {worst} levels");
    }

    public void Dispose() => _folder.Dispose();
}
