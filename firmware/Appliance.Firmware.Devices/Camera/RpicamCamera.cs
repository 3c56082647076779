using System.Globalization;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// The Pi camera module through <c>rpicam-still</c>, one process per frame, with every
/// automatic control pinned: fixed shutter, analogue gain, white-balance gains and lens
/// position, denoise off. The frame is written as BMP to a RAM-backed scratch folder, read
/// and deleted at once. A timeout, a non-zero exit or an unreadable file is a
/// <see cref="CaptureFaultException"/> with the reason.
/// </summary>
public sealed partial class RpicamCamera(IOptions<RpicamOptions> options, FrameBufferPool pool, TimeProvider time, ILogger<RpicamCamera> logger) : ICamera
{
    public static IReadOnlyList<string> Arguments(CameraSettings s, string outputPath, int? cameraIndex = null) =>
    [
        .. cameraIndex is { } index ? new[] { "--camera", index.ToString(CultureInfo.InvariantCulture) } : [],
        "--nopreview",
        "--immediate",
        "--output", outputPath,
        "--encoding", "bmp",
        "--width", s.Width.ToString(CultureInfo.InvariantCulture),
        "--height", s.Height.ToString(CultureInfo.InvariantCulture),
        "--shutter", ((long)Math.Round(s.Exposure.TotalMicroseconds)).ToString(CultureInfo.InvariantCulture),
        "--gain", s.AnalogueGain.ToString("0.###", CultureInfo.InvariantCulture),
        "--awbgains", string.Create(CultureInfo.InvariantCulture, $"{s.RedGain:0.###},{s.BlueGain:0.###}"),
        "--lens-position", s.LensPosition.ToString("0.###", CultureInfo.InvariantCulture),
        "--denoise", "off",
    ];

    public async Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var output = Path.Combine(o.ScratchFolder, $"{WipePaths.ScratchFramePrefix}{Guid.NewGuid():N}.bmp");
        try
        {
            await CameraProcess.RunAsync(o.Executable, Arguments(settings, output, o.CameraIndex), o.Timeout, time, cancellationToken);
            if (!File.Exists(output))
            {
                throw new CaptureFaultException("rpicam-still exited 0 but wrote no frame");
            }

            int width, height;
            byte[] rgb;
            using (var file = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
            {
                if (!Bmp24.TryDecode(file, pool.RentBytes, out width, out height, out rgb, out var error))
                {
                    throw new CaptureFaultException($"rpicam-still wrote an unreadable frame: {error}");
                }
            }

            if (width != settings.Width || height != settings.Height)
            {
                pool.Return(rgb);
                throw new CaptureFaultException($"rpicam-still wrote {width}x{height}, not the {settings.Width}x{settings.Height} asked for");
            }

            LogCaptured(logger, lighting, width, height);
            return new CapturedFrame(lighting, width, height, CapturedFrame.Rgb24, rgb);
        }
        finally
        {
            // Patient pixels: gone from the scratch folder whatever happened.
            File.Delete(output);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "rpicam-still frame {Lighting} {Width}x{Height}")]
    private static partial void LogCaptured(ILogger logger, LightingMode lighting, int width, int height);
}
