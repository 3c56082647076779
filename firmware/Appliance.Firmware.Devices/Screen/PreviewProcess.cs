using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Appliance.Firmware.Core;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// A camera tool that streams raw frames to its standard output for as long as the preview runs
/// (nothing written to a file): each frame read whole and converted to RGB24 into one buffer; the
/// process killed and both buffers cleared when the preview stops. Its error output is drained,
/// and its tail named if the stream ends early or the tool cannot start.
/// </summary>
internal static class PreviewProcess
{
    public static async IAsyncEnumerable<PreviewFrame> StreamAsync(
        string executable,
        IEnumerable<string> arguments,
        int width,
        int height,
        int frameBytes,
        Action<byte[], byte[]> toRgb24,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Start(start);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var raw = new byte[frameBytes];
        var rgb = new byte[width * height * 3];
        try
        {
            var output = process.StandardOutput.BaseStream;
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await output.ReadExactlyAsync(raw, cancellationToken);
                }
                catch (EndOfStreamException)
                {
                    var tail = (await errors.WaitAsync(TimeSpan.FromSeconds(2), time, CancellationToken.None)).Trim();
                    throw new CaptureFaultException($"{Path.GetFileName(executable)} ended the preview: {(tail.Length > 300 ? tail[^300..] : tail)}");
                }

                toRgb24(raw, rgb);
                yield return new PreviewFrame(rgb, width, height, time.GetTimestamp());
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Array.Clear(raw);
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
