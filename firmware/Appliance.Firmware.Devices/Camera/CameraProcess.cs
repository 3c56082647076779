using System.ComponentModel;
using System.Diagnostics;
using Appliance.Firmware.Core;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// Runs a camera tool (<c>rpicam-still</c>, <c>v4l2-ctl</c>) to completion. A tool that is
/// missing, hangs past the timeout (it is killed) or exits non-zero becomes a
/// <see cref="CaptureFaultException"/> naming the tool and, for an exit, the tail of its stderr.
/// </summary>
internal static class CameraProcess
{
    public static async Task RunAsync(string executable, IEnumerable<string> arguments, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(executable);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Start(start, name);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
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
            throw new CaptureFaultException($"{name} did not finish within {timeout.TotalMilliseconds:F0} ms and was killed");
        }

        if (process.ExitCode != 0)
        {
            string message;
            try
            {
                message = (await stderr).Trim();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // It exited just as the deadline passed, which also ended the read: still a failed exit, not a cancellation.
                message = "(its error output was not read in time)";
            }

            var tail = message.Length > 300 ? message[^300..] : message;
            throw new CaptureFaultException($"{name} exited with {process.ExitCode}: {tail}");
        }
    }

    private static Process Start(ProcessStartInfo start, string name)
    {
        try
        {
            return Process.Start(start) ?? throw new CaptureFaultException($"could not start {name}");
        }
        catch (Win32Exception ex)
        {
            throw new CaptureFaultException($"could not start {start.FileName}: {ex.Message}", ex);
        }
    }
}
