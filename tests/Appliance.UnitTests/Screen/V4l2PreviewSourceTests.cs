using System.Runtime.CompilerServices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Screen;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests.Screen;

/// <summary>
/// A USB camera's preview through a fake <c>v4l2-ctl</c> that checks its arguments and streams
/// known YUYV frames to its standard output; the overview step's preview is the overview camera
/// module's, not the USB camera's.
/// </summary>
public sealed class V4l2PreviewSourceTests : IDisposable
{
    private const int Width = 32;
    private const int Height = 24;
    private readonly TempFolder _folder = new("v4l2-preview");
    private readonly byte[] _rgb = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, Width, Height, false).Pixels;

    private sealed class OverviewModule : IPreviewSource
    {
        public static readonly byte[] Marker = [1, 2, 3];

        public async IAsyncEnumerable<PreviewFrame> StreamAsync(PreviewCamera camera, int width, int height, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new PreviewFrame(Marker, 1, 1, 0);
        }
    }

    private V4l2PreviewSource Source(string executable) =>
        new(Options.Create(new V4l2Options { Executable = executable, Device = "/dev/video2" }), new OverviewModule(), TimeProvider.System);

    [Fact]
    public async Task TheUsbCamerasStream_ArrivesAsThePicture()
    {
        var known = _folder.Combine("known.yuyv");
        File.WriteAllBytes(known, Yuyv.FromRgb24(_rgb));
        var exe = FakeCameraTool.Write(_folder.Path, "v4l2-ctl", "--stream-to", known, $"""
            if [ "$args" != "--device /dev/video2 --set-fmt-video width={Width},height={Height},pixelformat=YUYV --stream-mmap --stream-count 0 --stream-to -" ]; then echo "unexpected arguments: $args" >&2; exit 64; fi
            while true; do cat "$KNOWN"; sleep 0.05; done
            """);

        var frames = 0;
        await foreach (var frame in Source(exe).StreamAsync(PreviewCamera.Dermoscopic, Width, Height, CancellationToken.None))
        {
            var worst = frame.Rgb24.Zip(_rgb, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 40, $"{worst} levels from the camera's picture (chroma shared by pixel pairs)");
            if (++frames == 2)
            {
                break;
            }
        }
    }

    [Fact]
    public async Task TheOverviewStep_IsTheOverviewModulesPreview()
    {
        await foreach (var frame in Source(_folder.Combine("never-run")).StreamAsync(PreviewCamera.Overview, Width, Height, CancellationToken.None))
        {
            Assert.Same(OverviewModule.Marker, frame.Rgb24);
            break;
        }
    }

    public void Dispose() => _folder.Dispose();
}
