using System.Globalization;
using Appliance.Firmware.Devices.Camera;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// A USB camera's live preview through <c>v4l2-ctl</c> streaming raw YUYV to its standard output
/// (<see cref="PreviewProcess"/>). The overview step's preview comes from the overview camera
/// module (<paramref name="overview"/>), as its frames do.
/// </summary>
public sealed class V4l2PreviewSource(IOptions<V4l2Options> v4l2, IPreviewSource overview, TimeProvider time) : IPreviewSource
{
    public static IReadOnlyList<string> Arguments(V4l2Options o, int width, int height) =>
    [
        "--device", o.Device,
        "--set-fmt-video", string.Create(CultureInfo.InvariantCulture, $"width={width},height={height},pixelformat=YUYV"),
        "--stream-mmap",
        "--stream-count", "0",
        "--stream-to", "-",
    ];

    public IAsyncEnumerable<PreviewFrame> StreamAsync(PreviewCamera camera, int width, int height, CancellationToken cancellationToken) =>
        camera == PreviewCamera.Overview
            ? overview.StreamAsync(camera, width, height, cancellationToken)
            : PreviewProcess.StreamAsync(v4l2.Value.Executable, Arguments(v4l2.Value, width, height), width, height, Yuyv.FrameBytes(width, height), (yuyv, rgb) => Yuyv.ToRgb24(yuyv, rgb), time, cancellationToken);
}
