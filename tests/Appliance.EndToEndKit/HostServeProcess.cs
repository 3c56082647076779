using System.Diagnostics;

namespace Appliance.EndToEndKit;

/// <summary>
/// The built <c>appliance-host</c> run as its own process, as a service manager runs it on each
/// machine: <see cref="StartAsync"/> returns once its MQTT client has connected and subscribed
/// (it says so in its log), and <see cref="Kill"/> ends it with SIGKILL, as a crash or an OOM kill would.
/// </summary>
public sealed class HostServeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostServeProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Runs one admin command to the end (<c>secrets export</c>, <c>migrate</c>) and answers its standard output; throws with its error if it fails.</summary>
    public static async Task<string> RunCommandAsync(params string[] arguments)
    {
        using var process = Process.Start(Start(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"appliance-host {arguments.FirstOrDefault()} exited {process.ExitCode}: {await stderr}{await stdout}");
    }

    public static async Task<HostServeProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan timeout)
    {
        var start = Start(["serve", .. settings.Select(s => $"--{s.Key}={s.Value}")]);
        // The one line that says the host files: its client connected and subscribed.
        start.Environment["Logging__LogLevel__Appliance.Host.Infrastructure.Messaging.HostMqttClient"] = "Information";
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"appliance-host serve exited before it connected: {string.Join('\n', log)}"));
                return;
            }

            // Kept short: only what explains a failure to start.
            if (log.Count < 200)
            {
                log.Enqueue(e.Data);
            }

            if (e.Data.Contains("Host client connected to", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        // The console logger writes to standard output; either stream closing means the process ended.
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostServeProcess(process);
        try
        {
            await ready.Task.WaitAsync(timeout);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>SIGKILL: no shutdown, no flush, whatever it was doing left as it was.</summary>
    public void Kill() => _process.Kill();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static ProcessStartInfo Start(string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "appliance-host")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return start;
    }
}
