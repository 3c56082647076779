using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.TestFixtures;

/// <summary>Debian's mosquitto, run on loopback with a configuration the host wrote; stopped with the test.</summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private readonly string _config;
    private Process? _process;

    private MosquittoBroker(string config, int port)
    {
        _config = config;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Where the running broker's process id is kept (written at every start).</summary>
    public static string PidFileFor(string config) => Path.Combine(Path.GetDirectoryName(config)!, "test-broker.pid");

    /// <summary>What reloads the broker as <c>systemctl reload mosquitto</c> would: a SIGHUP to the process running now.</summary>
    public static string ReloadCommandFor(string config) => $"kill -HUP \"$(cat '{PidFileFor(config)}')\"";

    private static readonly string[] Candidates = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"];

    /// <summary>Where the mosquitto binary is: Debian puts it in /usr/sbin, which a user's PATH may lack.</summary>
    public static string Executable =>
        Candidates.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mosquitto is not installed: tests/run.sh installs Debian's mosquitto package.");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<MosquittoBroker> StartAsync(string config, int port)
    {
        var broker = new MosquittoBroker(config, port);
        await broker.StartAsync();
        return broker;
    }

    /// <summary>(Re)starts the broker and waits until it listens.</summary>
    public async Task StartAsync()
    {
        _process = Process.Start(new ProcessStartInfo(Executable, ["-c", _config])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("mosquitto did not start");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? string.Empty);
        _process.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? string.Empty);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        await File.WriteAllTextAsync(PidFileFor(_config), _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (var i = 0; i < 100; i++)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"mosquitto exited with code {_process.ExitCode} (config {_config}): {string.Join(" | ", output)}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException("mosquitto did not listen within 5 s");
    }

    /// <summary>Kills the broker outright (SIGKILL), as a crash or a pulled plug would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
