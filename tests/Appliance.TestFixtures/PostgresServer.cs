using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Appliance.TestFixtures;

/// <summary>
/// A throwaway PostgreSQL cluster from Debian's <c>postgresql</c> package: <c>initdb</c> in a
/// fresh folder (as the <c>postgres</c> user when the tests run as root: the server refuses root),
/// started by <c>pg_ctl -w</c> on a free loopback port with durability off (a test cluster needs
/// no fsync), trust authentication on loopback only, and removed with the test.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _folder;

    private PostgresServer(string folder, int port) => (_folder, Port) = (folder, port);

    public int Port { get; }

    /// <summary>The cluster's files on disk, for tests that look at what the server wrote.</summary>
    public string DataFolder => Data;

    private string Data => Path.Combine(_folder, "data");

    /// <summary>Where Debian puts the newest server's programs (<c>/usr/lib/postgresql/15/bin</c> on Debian 12).</summary>
    public static string BinFolder =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0).FirstOrDefault()
                ?? throw new InvalidOperationException("PostgreSQL's server is not installed: tests/run.sh installs Debian's postgresql package.")
            : throw new InvalidOperationException("PostgreSQL's server is not installed: tests/run.sh installs Debian's postgresql package.");

    public static async Task<PostgresServer> StartAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", ["postgres:postgres", folder], asServer: false);
        }

        var server = new PostgresServer(folder, FreePort());
        await RunAsync(Path.Combine(BinFolder, "initdb"), ["-D", server.Data, "-A", "trust", "-U", "postgres", "--no-sync", "--encoding=UTF8", "--locale=C"]);
        var settings = $"-p {server.Port.ToString(CultureInfo.InvariantCulture)} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["-D", server.Data, "-o", settings, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60", "start"]);
        return server;
    }

    /// <summary>Makes an empty database and answers its Npgsql connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await RunAsync(Path.Combine(BinFolder, "createdb"), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", name]);
        return ConnectionString(name);
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database}";

    /// <summary>Stops the server at once (as a crash would) and removes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["-D", Data, "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static async Task RunAsync(string program, string[] arguments, bool asServer = true)
    {
        // The server and its tools run as postgres when the tests run as root.
        var (file, args) = asServer && Environment.IsPrivilegedProcess ? ("runuser", new[] { "-u", "postgres", "--", program }.Concat(arguments).ToArray()) : (program, arguments);
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
