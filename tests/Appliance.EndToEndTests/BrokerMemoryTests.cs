using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Xunit.Abstractions;

namespace Appliance.EndToEndTests;

/// <summary>
/// The penetration tester's memory attack on the real <c>appliance-host serve</c> process: twenty
/// connections with a valid device certificate, each announcing a 256 MB packet and then sending
/// as much of it as the host will read. The host's resident memory is measured from /proc.
/// </summary>
public sealed class BrokerMemoryTests(ITestOutputHelper output)
{
    private const int Connections = 20;
    private const int SentPerConnection = 32 * 1024 * 1024;
    private const long AllowedGrowth = 100L * 1024 * 1024;

    [Fact]
    public async Task TwentyConnectionsAnnouncing256MBEach_GrowTheHostByLessThan100MB()
    {
        using var folder = new TempFolder("broker-memory");
        var data = $"--Host:DataFolder={folder.Combine("host")}";
        var package = folder.Combine("mem-dev-01.enrol.json");
        var provisioned = JsonDocument.Parse(await HostProcess.RunAsync("provision", "mem-dev-01", "--out", package, "--json", data)).RootElement;
        Assert.True(ProtocolJson.TryDeserialize<EnrolmentPackage>(await File.ReadAllBytesAsync(package), out var sealedBundle, out _));
        var bundle = sealedBundle.Open(provisioned.GetProperty("enrolmentCode").GetString()!);
        using var device = MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem);
        using var ca = MutualTls.LoadCertificate(bundle.CaCertificatePem);
        var brokerPort = MosquittoBroker.FreePort();

        // Each connection's slot is taken by the packet limit, not by the cap on waiting connections.
        await using var host = await HostProcess.ServeAsync(folder.Path, data, $"--Broker:Port={brokerPort}", "--Broker:MaxUnauthenticatedConnectionsPerAddress=64");
        await Poll.UntilAsync(async () => await AcceptsAsync(brokerPort), "the broker accepting connections", TimeSpan.FromSeconds(60));

        // Idle, after one ordinary device session has warmed up TLS and MQTT.
        using (var warm = await MqttTestClient.ConnectAsync(brokerPort, "mem-dev-01", device))
        {
            await warm.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptions());
        }

        var idle = host.ResidentBytes();
        host.ResetPeak();

        var attacks = Enumerable.Range(0, Connections).Select(_ => AttackAsync(brokerPort, device, ca)).ToList();
        var sent = await Task.WhenAll(attacks);
        var peak = host.PeakResidentBytes();

        output.WriteLine(FormattableString.Invariant($"idle {idle / 1048576.0:F1} MB, peak during the attack {peak / 1048576.0:F1} MB, growth {(peak - idle) / 1048576.0:F1} MB; median bytes an attacker got written before the host hung up: {sent.Order().ElementAt(sent.Length / 2)}"));
        Assert.True(peak - idle < AllowedGrowth, FormattableString.Invariant($"the host grew by {(peak - idle) / 1048576.0:F1} MB (idle {idle / 1048576.0:F1} MB, peak {peak / 1048576.0:F1} MB)"));
        // The connections were ended, not left to fill: each got through far less than it tried to send.
        Assert.All(sent, bytes => Assert.True(bytes < SentPerConnection, $"{bytes} bytes accepted"));
        Assert.True(await AcceptsAsync(brokerPort)); // and the broker still serves
    }

    /// <summary>Announces a 256 MB CONNECT and sends zeros until the host hangs up; how many bytes it got written.</summary>
    private static async Task<long> AttackAsync(int port, X509Certificate2 device, X509Certificate2 ca)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, server, _, _) =>
            server is not null && MutualTls.ChainsTo(new X509Certificate2(server), ca, MutualTls.ServerAuthOid, DateTimeOffset.UtcNow, out _));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ClientCertificates = [device] });
        var written = 0L;
        var block = new byte[64 * 1024];
        try
        {
            await tls.WriteAsync(new byte[] { 0x10, 0xFF, 0xFF, 0xFF, 0x7F });
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (written < SentPerConnection)
            {
                await tls.WriteAsync(block, limit.Token);
                written += block.Length;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The host hung up: what the attack was for.
        }

        return written;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>The real <c>appliance-host</c> executable, run as an admin or a service manager would.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process) => _process = process;

    public static async Task<string> RunAsync(params string[] arguments)
    {
        using var process = Process.Start(Start(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"appliance-host {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    /// <summary><c>serve</c> with its pages on a free loopback port.</summary>
    public static Task<HostProcess> ServeAsync(string contentRoot, params string[] arguments)
    {
        var start = Start(["serve", $"--Urls=https://127.0.0.1:{MosquittoBroker.FreePort()}", .. arguments]);
        start.WorkingDirectory = contentRoot;
        var process = Process.Start(start)!;
        // Drained, so a chatty log cannot fill the pipe and stall the host.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return Task.FromResult(new HostProcess(process));
    }

    public long ResidentBytes() => StatusField("VmRSS");

    public long PeakResidentBytes() => StatusField("VmHWM");

    /// <summary>Resets the peak (VmHWM) to the present resident size.</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private long StatusField(string name)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
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
