using System.Globalization;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// The camera modules' live preview through <c>rpicam-vid</c>: raw I420 frames on its standard
/// output (<see cref="PreviewProcess"/>), from the dermoscopic camera or, for the overview step,
/// the overview camera's port.
/// </summary>
public sealed class RpicamPreviewSource(IOptions<RpicamOptions> rpicam, IOptions<OverviewOptions> overview, IOptions<ScreenOptions> screen, TimeProvider time) : IPreviewSource
{
    public static IReadOnlyList<string> Arguments(int? cameraIndex, int width, int height, int framesPerSecond) =>
    [
        .. cameraIndex is { } index ? new[] { "--camera", index.ToString(CultureInfo.InvariantCulture) } : [],
        "--nopreview",
        "--timeout", "0",
        "--codec", "yuv420",
        "--width", width.ToString(CultureInfo.InvariantCulture),
        "--height", height.ToString(CultureInfo.InvariantCulture),
        "--framerate", framesPerSecond.ToString(CultureInfo.InvariantCulture),
        "--flush",
        "--output", "-",
    ];

    public IAsyncEnumerable<PreviewFrame> StreamAsync(PreviewCamera camera, int width, int height, CancellationToken cancellationToken)
    {
        var index = camera == PreviewCamera.Overview ? overview.Value.CameraIndex : rpicam.Value.CameraIndex;
        return PreviewProcess.StreamAsync(
            rpicam.Value.PreviewExecutable,
            Arguments(index, width, height, screen.Value.PreviewFramesPerSecond),
            width,
            height,
            width * height * 3 / 2,
            (i420, rgb) => Yuyv.I420ToRgb24(i420, width, height, rgb),
            time,
            cancellationToken);
    }
}
