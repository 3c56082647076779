using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// The camera modules' live preview through <c>rpicam-vid</c>: one process for as long as the
/// preview runs, writing raw I420 frames to its standard output (nothing to a file), each read
/// whole and converted to RGB24; killed when the preview stops. Its error output is drained and
/// its tail named if the stream ends early.
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

    public async IAsyncEnumerable<PreviewFrame> StreamAsync(PreviewCamera camera, int width, int height, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var index = camera == PreviewCamera.Overview ? overview.Value.CameraIndex : rpicam.Value.CameraIndex;
        var start = new ProcessStartInfo(rpicam.Value.PreviewExecutable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in Arguments(index, width, height, screen.Value.PreviewFramesPerSecond))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Start(start);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var i420 = new byte[width * height * 3 / 2];
        var rgb = new byte[width * height * 3];
        try
        {
            var output = process.StandardOutput.BaseStream;
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await output.ReadExactlyAsync(i420, cancellationToken);
                }
                catch (EndOfStreamException)
                {
                    var tail = (await errors.WaitAsync(TimeSpan.FromSeconds(2), time, CancellationToken.None)).Trim();
                    throw new CaptureFaultException($"{Path.GetFileName(start.FileName)} ended the preview: {(tail.Length > 300 ? tail[^300..] : tail)}");
                }

                Yuyv.I420ToRgb24(i420, width, height, rgb);
                yield return new PreviewFrame(rgb, width, height, time.GetTimestamp());
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Array.Clear(i420);
            Array.Clear(rgb);
        }
    }

    private static Process Start(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new CaptureFaultException($"could not start {start.FileName}");
        }
        catch (Win32Exception ex)
        {
            throw new CaptureFaultException($"could not start {start.FileName}: {ex.Message}", ex);
        }
    }
}
