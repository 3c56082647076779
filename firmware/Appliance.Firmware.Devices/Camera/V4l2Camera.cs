using System.Globalization;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// A USB (UVC) camera through <c>v4l2-ctl</c>, one process per frame: it sets the format to
/// YUYV at the configured size, pins exposure, white balance, gain and (where there is one)
/// focus, drops the first frames while the sensor settles, and writes one raw frame to a
/// RAM-backed scratch file, which is converted to RGB and deleted at once. A frame of the
/// wrong length (the camera chose another size, or the stream ended early) is a fault, never
/// a misread image.
/// </summary>
public sealed partial class V4l2Camera(IOptions<V4l2Options> options, FrameBufferPool pool, TimeProvider time, ILogger<V4l2Camera> logger) : ICamera
{
    public static IReadOnlyList<string> Arguments(V4l2Options o, CameraSettings s, string outputPath)
    {
        var invariant = CultureInfo.InvariantCulture;
        var controls = new List<string>
        {
            $"{o.AutoExposureControl}={o.ManualExposureValue}",
            string.Create(invariant, $"{o.ExposureControl}={Math.Max(1, (long)Math.Round(s.Exposure.TotalMicroseconds / 100))}"),
            $"{o.AutoWhiteBalanceControl}=0",
            string.Create(invariant, $"white_balance_temperature={o.WhiteBalanceTemperature}"),
            string.Create(invariant, $"gain={o.Gain}"),
        };
        if (o.HasFocusControl)
        {
            controls.Add("focus_automatic_continuous=0");
            // libcamera's lens position is in dioptres; UVC focus_absolute is device units, so the
            // calibration's value is passed through as a whole number.
            controls.Add(string.Create(invariant, $"focus_absolute={(long)Math.Round(s.LensPosition)}"));
        }

        return
        [
            "--device", o.Device,
            "--set-fmt-video", string.Create(invariant, $"width={s.Width},height={s.Height},pixelformat=YUYV"),
            "--set-ctrl", string.Join(',', controls),
            "--stream-mmap",
            "--stream-skip", o.SkipFrames.ToString(invariant),
            "--stream-count", "1",
            "--stream-to", outputPath,
        ];
    }

    public async Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var output = Path.Combine(o.ScratchFolder, $"{WipePaths.ScratchFramePrefix}{Guid.NewGuid():N}.yuyv");
        try
        {
            await CameraProcess.RunAsync(o.Executable, Arguments(o, settings, output), o.Timeout, time, cancellationToken);
            var expected = Yuyv.FrameBytes(settings.Width, settings.Height);
            var info = new FileInfo(output);
            if (!info.Exists)
            {
                throw new CaptureFaultException("v4l2-ctl exited 0 but wrote no frame");
            }

            if (info.Length != expected)
            {
                throw new CaptureFaultException(
                    $"v4l2-ctl wrote {info.Length} bytes, not the {expected} of a {settings.Width}x{settings.Height} YUYV frame (truncated, or the camera chose another size or format)");
            }

            var raw = pool.RentBytes(expected);
            try
            {
                using (var file = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
                {
                    file.ReadExactly(raw);
                }

                var rgb = pool.RentBytes(settings.Width * settings.Height * 3);
                Yuyv.ToRgb24(raw, rgb);
                LogCaptured(logger, lighting, settings.Width, settings.Height);
                return new CapturedFrame(lighting, settings.Width, settings.Height, CapturedFrame.Rgb24, rgb);
            }
            finally
            {
                pool.Return(raw); // cleared: it held patient pixels
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "v4l2 frame {Lighting} {Width}x{Height}")]
    private static partial void LogCaptured(ILogger logger, LightingMode lighting, int width, int height);
}
