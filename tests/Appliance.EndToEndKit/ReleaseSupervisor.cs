using System.Diagnostics;
using System.Text;

namespace Appliance.EndToEndKit;

/// <summary>
/// Runs the firmware from a release layout the way its systemd unit does: before every start the
/// rollback guard (<c>release-guard.sh</c>, ExecStartPre), then <c>current/Appliance.Firmware</c>
/// (ExecStart, through the link as it stands at that moment), started again whenever it stops
/// (Restart=always) unless it exits 3 or 4 (RestartPreventExitStatus), until stopped. Everything the
/// guard and each run write is kept, in order, for waiting on a line and for failure messages.
/// </summary>
public sealed class ReleaseSupervisor : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _guard;
    private readonly IReadOnlyList<string> _arguments;
    private readonly StringBuilder _log = new();
    private readonly Lock _lock = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiting = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;

    /// <param name="root">The release layout (Update:Root).</param>
    /// <param name="guard">The rollback guard script.</param>
    /// <param name="arguments">The firmware's arguments (its configuration), the same for every release.</param>
    public ReleaseSupervisor(string root, string guard, IReadOnlyList<string> arguments)
    {
        (_root, _guard, _arguments) = (root, guard, arguments);
        _ = Task.Run(RunAsync);
    }

    /// <summary>Exit statuses of the runs so far, in order.</summary>
    public List<int> Exits { get; } = [];

    /// <summary>The releases started, in order (the link's target at each start).</summary>
    public List<string> Started { get; } = [];

    /// <summary>Ends when the supervisor stops restarting: a prevented exit status, or <see cref="StopAsync"/>.</summary>
    public Task Ended => _ended.Task;

    public override string ToString()
    {
        lock (_lock)
        {
            return _log.ToString();
        }
    }

    /// <summary>The first line (already written, or still to come) that contains <paramref name="text"/>.</summary>
    public Task<string> LineAsync(string text, TimeSpan within) => LineAsync(l => l.Contains(text, StringComparison.Ordinal), within, text);

    public async Task<string> LineAsync(Func<string, bool> match, TimeSpan within, string what)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_log.ToString().Split('\n').FirstOrDefault(match) is { } line)
            {
                return line;
            }

            _waiting.Add((match, seen));
        }

        try
        {
            return await seen.Task.WaitAsync(within);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the firmware did not write '{what}' within {within}:\n{this}");
        }
    }

    /// <summary>SIGKILL to the running firmware, as a power cut would stop it; the supervisor starts it again.</summary>
    public void Kill()
    {
        using var kill = Process.Start("kill", ["-KILL", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>As <c>systemctl stop</c>: SIGTERM, and no restart.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        if (_process is { HasExited: false } process)
        {
            using var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
        }

        await Ended.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (TimeoutException)
        {
            _process?.Kill(entireProcessTree: true);
        }

        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await RunToExitAsync("bash", [_guard, _root], "guard");
                var release = Path.GetFileName(new FileInfo(Path.Combine(_root, "current")).LinkTarget ?? "none");
                lock (_lock)
                {
                    Started.Add(release);
                }

                var exit = await RunToExitAsync(Path.Combine(_root, "current", "Appliance.Firmware"), _arguments, release);
                lock (_lock)
                {
                    Exits.Add(exit);
                }

                if (exit is 3 or 4)
                {
                    break;
                }
            }
        }
        finally
        {
            _ended.TrySetResult();
        }
    }

    private async Task<int> RunToExitAsync(string executable, IEnumerable<string> arguments, string tag)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        if (tag != "guard")
        {
            _process = process;
        }

        var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, tag), PumpAsync(process.StandardError, tag));
        await process.WaitForExitAsync();
        await pumps;
        Append($"[{tag}] exited {process.ExitCode}");
        return process.ExitCode;
    }

    private async Task PumpAsync(StreamReader reader, string tag)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            Append($"[{tag}] {line}");
        }
    }

    private void Append(string line)
    {
        lock (_lock)
        {
            _log.Append(line).Append('\n');
            foreach (var waiter in _waiting.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult(line);
                _waiting.Remove(waiter);
            }
        }
    }
}
