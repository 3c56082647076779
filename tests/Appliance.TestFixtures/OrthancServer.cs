using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Appliance.TestFixtures;

/// <summary>
/// A throwaway Orthanc (Debian's <c>orthanc</c>) with its DICOMweb plugin (<c>orthanc-dicomweb</c>)
/// as the trust's PACS: run in the foreground from a JSON configuration on a free loopback port,
/// its storage in a fresh folder (kept across a restart of the same server), the DICOM listener
/// off. Ready when it logs that it has started; killed with the test.
/// </summary>
public sealed class OrthancServer : IAsyncDisposable
{
    private const string Plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
    private readonly string _folder;
    private Process? _process;

    private OrthancServer(string folder, int port) => (_folder, Port) = (folder, port);

    public int Port { get; }

    /// <summary>The DICOMweb root, as <c>Pacs:DicomWebUrl</c> takes it.</summary>
    public Uri DicomWebUrl => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/dicom-web/");

    public Uri RestUrl => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>A server on a port of its own, not yet started (so a test can have the PACS down first).</summary>
    public static OrthancServer Create()
    {
        if (!File.Exists("/usr/sbin/Orthanc") || !File.Exists(Plugin))
        {
            throw new InvalidOperationException("Orthanc or its DICOMweb plugin is not installed: tests/run.sh installs Debian's orthanc and orthanc-dicomweb.");
        }

        var folder = Path.Combine(Path.GetTempPath(), $"orthanc-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return new OrthancServer(folder, FreePort());
    }

    public static async Task<OrthancServer> StartAsync()
    {
        var server = Create();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>The user and password the server asks for when started with credentials required.</summary>
    public const string User = "appliance-host";
    public const string Password = "pacs-test-password";

    /// <summary>
    /// Starts the server (again, on the same port and storage); returns once it has said it started.
    /// With <paramref name="requireCredentials"/> it answers 401 to any request without <see cref="User"/> and <see cref="Password"/>.
    /// </summary>
    public async Task StartAgainAsync(bool requireCredentials = false)
    {
        var config = Path.Combine(_folder, "orthanc.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Name"] = "test-pacs",
            ["HttpPort"] = Port,
            ["HttpBindAddress"] = "127.0.0.1",
            ["RemoteAccessAllowed"] = false,
            ["AuthenticationEnabled"] = requireCredentials,
            ["RegisteredUsers"] = new Dictionary<string, string> { [User] = Password },
            ["DicomServerEnabled"] = false,
            ["StorageDirectory"] = Path.Combine(_folder, "storage"),
            ["IndexDirectory"] = Path.Combine(_folder, "storage"),
            ["Plugins"] = new[] { Plugin },
            ["DicomWeb"] = new Dictionary<string, object> { ["Enable"] = true, ["Root"] = "/dicom-web/" },
        }));
        var process = Process.Start(new ProcessStartInfo("/usr/sbin/Orthanc", [config]) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("Orthanc did not start");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                started.TrySetException(new InvalidOperationException($"Orthanc stopped before it started: {log}"));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.Contains("Orthanc has started", StringComparison.Ordinal))
            {
                started.TrySetResult();
            }
        }

        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Kills the server at once, as a crash would; its storage stays for <see cref="StartAgainAsync"/>.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
