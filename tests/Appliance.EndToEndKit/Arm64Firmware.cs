using System.Diagnostics;
using System.Text;

namespace Appliance.EndToEndKit;

/// <summary>
/// The firmware as a Raspberry Pi runs it: published for linux-arm64, self-contained, and run by
/// Debian's qemu-aarch64-static against an arm64 sysroot of Debian's own libraries
/// (<c>tests/arm64/sysroot.sh</c>, which installs qemu and makes the sysroot once). Published into
/// its own folder, with its own build artefacts, so it never touches the x64 builds the tests
/// run. Emulation is 15–20 times slower than native: waits allow for it.
/// </summary>
public sealed class Arm64Firmware : IDisposable
{
    /// <summary>The Raspberry Pi 4's core (the oldest Pi the appliance supports).</summary>
    public const string PiCpu = "cortex-a72";

    private readonly string _folder;

    private Arm64Firmware(string folder, string sysroot)
    {
        _folder = folder;
        Sysroot = sysroot;
    }

    public string Sysroot { get; }

    public string Firmware => Path.Combine(_folder, "publish", "Appliance.Firmware");

    /// <summary>The published folder's size in bytes: the self-contained, trimmed firmware a Pi installs.</summary>
    public long PublishedBytes => new DirectoryInfo(Path.Combine(_folder, "publish")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>Makes (or finds cached) the sysroot and publishes the firmware for linux-arm64 into a new folder.</summary>
    public static async Task<Arm64Firmware> PrepareAsync(string repositoryRoot)
    {
        var folder = Path.Combine(Path.GetTempPath(), "appliance-arm64-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var sysroot = await RunAsync("bash", [Path.Combine(repositoryRoot, "tests", "arm64", "sysroot.sh")], TimeSpan.FromMinutes(10));
            if (sysroot.ExitCode != 0)
            {
                throw new InvalidOperationException($"the arm64 sysroot could not be made:\n{sysroot.Error}");
            }

            var publish = await RunAsync("dotnet",
            [
                "publish", Path.Combine(repositoryRoot, "firmware", "Appliance.Firmware"),
                "-c", "Release", "-r", "linux-arm64", "--self-contained", "--nologo",
                "--artifacts-path", Path.Combine(folder, "artifacts"), "-o", Path.Combine(folder, "publish"),
            ], TimeSpan.FromMinutes(10));
            if (publish.ExitCode != 0)
            {
                throw new InvalidOperationException($"the arm64 publish failed:\n{publish.Output}\n{publish.Error}");
            }

            return new Arm64Firmware(folder, sysroot.Output.Trim().Split('\n')[^1]);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Starts the arm64 firmware under emulation with these arguments and environment.</summary>
    public Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("qemu-aarch64-static")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Firmware);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["QEMU_LD_PREFIX"] = Sysroot;
        // The Pi 4's core, not qemu's default "max" CPU (the Pi has no SVE).
        start.Environment["QEMU_CPU"] = PiCpu;
        // .NET writes new code through a second, writable mapping of its executable pages (W^X);
        // qemu-user notices writes to code only through the mapping it runs, so it can run a stale
        // translation of a freed stub at a reused address: here, one start in a few failed with a
        // NullReferenceException inside a reflection stub. A real Pi's cache maintenance has no such gap.
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("qemu-aarch64-static did not start");
    }

    /// <summary>The ELF machine of the published firmware (0xB7 is AArch64).</summary>
    public ushort FirmwareMachine()
    {
        using var file = File.OpenRead(Firmware);
        var header = new byte[20];
        file.ReadExactly(header);
        return BitConverter.ToUInt16(header, 18);
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} did not finish within {limit}");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>A simulated appliance's control socket, as a person's hands (<c>SimulatedControlSocket</c>).</summary>
    public sealed class ControlSocket(string path)
    {
        public static ControlSocket In(string dataFolder) => new(Path.Combine(dataFolder, "control.sock"));

        /// <summary>Sends each command and checks its answer is "ok".</summary>
        public async Task SendAsync(params string[] commands)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            await using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream);
            await using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
            foreach (var command in commands)
            {
                await writer.WriteLineAsync(command);
                var answer = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
                if (answer?.StartsWith("ok", StringComparison.Ordinal) != true)
                {
                    throw new InvalidOperationException($"the control socket answered '{command}' with '{answer}'");
                }
            }
        }
    }

    /// <summary>Everything a process writes to a stream, as it writes it, for waiting on a line and for failure messages.</summary>
    public sealed class Transcript
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();
        private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiting = [];

        public Transcript(StreamReader reader) => _ = PumpAsync(reader);

        public override string ToString()
        {
            lock (_lock)
            {
                return _text.ToString();
            }
        }

        /// <summary>The first line (already written or still to come) that matches.</summary>
        public Task<string> LineAsync(Func<string, bool> match)
        {
            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                if (_text.ToString().Split('\n').FirstOrDefault(match) is { } line)
                {
                    seen.SetResult(line);
                }
                else
                {
                    _waiting.Add((match, seen));
                }
            }

            return seen.Task;
        }

        private async Task PumpAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_lock)
                {
                    _text.Append(line).Append('\n');
                    foreach (var waiter in _waiting.Where(w => w.Match(line)).ToList())
                    {
                        waiter.Seen.TrySetResult(line);
                        _waiting.Remove(waiter);
                    }
                }
            }
        }
    }
}
