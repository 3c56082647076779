using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Screen;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace Appliance.UnitTests.Screen;

/// <summary>
/// The camera modules' preview through a fake <c>rpicam-vid</c> that checks its arguments and
/// streams known I420 frames to its standard output: the frames arrive as the camera's picture
/// (I420 decoding checked against OpenCV's), the process is gone once the preview stops, and a
/// stream that ends early is a fault naming the tool's own words.
/// </summary>
public sealed class RpicamPreviewSourceTests : IDisposable
{
    private const int Width = 32;
    private const int Height = 24;
    private readonly TempFolder _folder = new("rpicam-vid");
    private readonly byte[] _rgb = SimulatedCamera.Render(new SimulatedScene { GlareSpots = 30 }, LightingMode.NonPolarised, Width, Height, false).Pixels;

    /// <summary>BT.601 limited range, chroma the mean of each 2×2 block: what a camera's I420 holds.</summary>
    private static byte[] ToI420(byte[] rgb, int width, int height)
    {
        var i420 = new byte[width * height * 3 / 2];
        static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                i420[(y * width) + x] = Clamp(16 + (0.257 * rgb[i]) + (0.504 * rgb[i + 1]) + (0.098 * rgb[i + 2]));
            }
        }

        for (var cy = 0; cy < height / 2; cy++)
        {
            for (var cx = 0; cx < width / 2; cx++)
            {
                double u = 0, v = 0;
                foreach (var (dx, dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
                {
                    var i = ((((cy * 2) + dy) * width) + (cx * 2) + dx) * 3;
                    u += 128 - (0.148 * rgb[i]) - (0.291 * rgb[i + 1]) + (0.439 * rgb[i + 2]);
                    v += 128 + (0.439 * rgb[i]) - (0.368 * rgb[i + 1]) - (0.071 * rgb[i + 2]);
                }

                i420[(width * height) + (cy * (width / 2)) + cx] = Clamp(u / 4);
                i420[(width * height * 5 / 4) + (cy * (width / 2)) + cx] = Clamp(v / 4);
            }
        }

        return i420;
    }

    private RpicamPreviewSource Source(string executable) => new(
        Options.Create(new RpicamOptions { PreviewExecutable = executable }),
        Options.Create(new OverviewOptions { CameraIndex = 1 }),
        Options.Create(new ScreenOptions { PreviewFramesPerSecond = 20 }),
        TimeProvider.System);

    /// <summary>A fake rpicam-vid: writes its process id, checks its arguments, then runs <paramref name="body"/> with <c>$KNOWN</c> an I420 frame.</summary>
    private string Fake(string expectedArguments, string body)
    {
        var known = _folder.Combine("known.i420");
        File.WriteAllBytes(known, ToI420(_rgb, Width, Height));
        return FakeCameraTool.Write(_folder.Path, "rpicam-vid", "--output", known, $$"""
            echo $$ > "{{_folder.Combine("pid")}}"
            if [ "$args" != "{{expectedArguments}}" ]; then echo "unexpected arguments: $args" >&2; exit 64; fi
            {{body}}
            """);
    }

    [Fact]
    public async Task TheOverviewCamerasStream_ArrivesFrameByFrame_AsThePicture_AndItsProcessEndsWithThePreview()
    {
        var exe = Fake($"--camera 1 --nopreview --timeout 0 --codec yuv420 --width {Width} --height {Height} --framerate 20 --flush --output -", """
            while true; do cat "$KNOWN"; sleep 0.05; done
            """);
        var frames = 0;
        await foreach (var frame in Source(exe).StreamAsync(PreviewCamera.Overview, Width, Height, CancellationToken.None))
        {
            Assert.Equal((Width, Height), (frame.Width, frame.Height));
            var worst = frame.Rgb24.Zip(_rgb, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 40, $"frame {frames}: {worst} levels from the camera's picture (chroma shared by 2×2 blocks)");
            if (++frames == 3)
            {
                break;
            }
        }

        var pid = int.Parse(File.ReadAllText(_folder.Combine("pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Poll.UntilAsync(() => Ended(pid), "the fake rpicam-vid ended with the preview", TimeSpan.FromSeconds(10));
    }

    /// <summary>Gone, or a zombie waiting to be reaped.</summary>
    private static bool Ended(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    [Fact]
    public async Task AStreamThatEndsEarly_IsAFault_InTheToolsOwnWords()
    {
        var exe = Fake($"--nopreview --timeout 0 --codec yuv420 --width {Width} --height {Height} --framerate 20 --flush --output -", """
            head -c 100 "$KNOWN"; echo "ERROR: *** no cameras available ***" >&2; exit 255
            """);

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(async () =>
        {
            await foreach (var _ in Source(exe).StreamAsync(PreviewCamera.Dermoscopic, Width, Height, CancellationToken.None))
            {
            }
        });

        Assert.Contains("no cameras available", fault.Message, StringComparison.Ordinal);
        Assert.StartsWith("rpicam-vid", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingTool_IsAFault()
    {
        var fault = await Assert.ThrowsAsync<CaptureFaultException>(async () =>
        {
            await foreach (var _ in Source(_folder.Combine("no-such-rpicam-vid")).StreamAsync(PreviewCamera.Dermoscopic, Width, Height, CancellationToken.None))
            {
            }
        });

        Assert.Contains("could not start", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void I420Decoding_AgreesWithOpenCv()
    {
        var i420 = ToI420(_rgb, Width, Height);
        var ours = new byte[Width * Height * 3];
        Yuyv.I420ToRgb24(i420, Width, Height, ours);

        using var source = Mat.FromPixelData(Height * 3 / 2, Width, MatType.CV_8UC1, i420);
        using var theirs = new Mat();
        Cv2.CvtColor(source, theirs, ColorConversionCodes.YUV2RGB_I420);
        var worst = OpenCvReference.WorstDifference(ours, theirs);

        Assert.True(worst <= 2, $"largest difference from OpenCV: {worst} levels");
    }

    public void Dispose() => _folder.Dispose();
}
