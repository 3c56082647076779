using System.Diagnostics;
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
    public static IReadOnlyList<string> Arguments(CameraSettings s, string outputPath) =>
    [
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
        var output = Path.Combine(o.ScratchFolder, $"appliance-frame-{Guid.NewGuid():N}.bmp");
        var start = new ProcessStartInfo(o.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments(settings, output))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = StartOrFault(start);
            using var timeout = new CancellationTokenSource(o.Timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(linked.Token);
            _ = process.StandardOutput.ReadToEndAsync(linked.Token);
            try
            {
                await process.WaitForExitAsync(linked.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                throw new CaptureFaultException($"rpicam-still did not finish within {o.Timeout.TotalMilliseconds:F0} ms and was killed");
            }

            if (process.ExitCode != 0)
            {
                var message = (await stderr).Trim();
                var tail = message.Length > 300 ? message[^300..] : message;
                throw new CaptureFaultException($"rpicam-still exited with {process.ExitCode}: {tail}");
            }

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

    private static Process StartOrFault(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new CaptureFaultException($"could not start {start.FileName}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new CaptureFaultException($"could not start {start.FileName}: {ex.Message}", ex);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "rpicam-still frame {Lighting} {Width}x{Height}")]
    private static partial void LogCaptured(ILogger logger, LightingMode lighting, int width, int height);
}
