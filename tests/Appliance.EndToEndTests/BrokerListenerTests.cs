using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;

namespace Appliance.EndToEndTests;

/// <summary>
/// The embedded broker's listener before anyone has authenticated, as a hostile client meets it:
/// one address only, handshake and connect deadlines, a cap on connections waiting to
/// authenticate, and a packet size limit enforced while reading and announced in CONNACK.
/// </summary>
public sealed class BrokerListenerTests : IAsyncLifetime
{
    private const int PerAddress = 4;
    private readonly TempFolder _folder = new("broker-listener");
    private readonly CapturedLogs _logs = new();
    private WebApplication _host = null!;

    private int Port => _host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;

    public async Task InitializeAsync() =>
        _host = await EmbeddedSuite.StartHostAsync(
            _folder.Path,
            LogLevel.Information,
            l => l.AddProvider(_logs),
            new Dictionary<string, string?>
            {
                ["Broker:TlsHandshakeTimeout"] = "00:00:02",
                ["Broker:ConnectTimeout"] = "00:00:03",
                ["Broker:MaxUnauthenticatedConnectionsPerAddress"] = PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _folder.Dispose();
        _logs.ThrowIfUnexpectedErrors();
    }

    [Fact]
    public async Task TheBroker_ListensOnTheConfiguredAddressOnly()
    {
        using (var v4 = new TcpClient(AddressFamily.InterNetwork))
        {
            await v4.ConnectAsync(IPAddress.Loopback, Port); // the control: the configured address answers
        }

        using var v6 = new TcpClient(AddressFamily.InterNetworkV6);
        var refused = await Assert.ThrowsAsync<SocketException>(() => v6.ConnectAsync(IPAddress.IPv6Loopback, Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task ASocketThatNeverStartsTls_IsClosedAtTheHandshakeTimeout_AndLogged()
    {
        using var idle = new TcpClient();
        await idle.ConnectAsync(IPAddress.Loopback, Port);

        Assert.True(await ClosedByServerAsync(idle.GetStream(), TimeSpan.FromSeconds(15)));
        await WaitLoggedAsync("TLS handshake not finished within 2 s");
    }

    [Fact]
    public async Task ConnectionsWaitingToAuthenticate_AreCappedPerAddress_AndTheRefusalLogged()
    {
        var waiting = new List<TcpClient>();
        try
        {
            for (var i = 0; i < PerAddress; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                waiting.Add(client);
            }

            await Poll.UntilAsync(() => _host.Services.GetRequiredService<EmbeddedMqttBroker>().Unauthenticated == PerAddress, "the four idle sockets accepted");
            using var oneMore = new TcpClient();
            await oneMore.ConnectAsync(IPAddress.Loopback, Port);
            Assert.True(await ClosedByServerAsync(oneMore.GetStream(), TimeSpan.FromSeconds(15)));
            await WaitLoggedAsync($"{PerAddress} connections from this address are already waiting to authenticate");
        }
        finally
        {
            waiting.ForEach(c => c.Dispose());
        }

        // Slots come back as connections leave: a real device still gets in.
        await Poll.UntilAsync(() => _host.Services.GetRequiredService<EmbeddedMqttBroker>().Unauthenticated == 0, "waiting connections released");
        using var device = await MqttTestClient.ConnectAsync(Port, "cap-dev-01", Device("cap-dev-01"));
        Assert.True(device.IsConnected);
    }

    [Fact]
    public async Task ADeviceThatNeverSendsConnect_IsClosedAtTheConnectTimeout_AndLogged()
    {
        await using var tls = await TlsAsync("silent-dev-01");

        Assert.True(await ClosedByServerAsync(tls, TimeSpan.FromSeconds(15)));
        await WaitLoggedAsync("no successful CONNECT within 3 s");
    }

    [Theory]
    [InlineData(0x10, "connect")] // a CONNECT: before the broker knows who this is
    [InlineData(0x30, "publish")]
    public async Task APacketAnnouncedOverTheLimit_EndsTheConnectionAsItsLengthArrives(byte packetType, string what)
    {
        await using var tls = await TlsAsync($"huge-{what}-01");
        // The largest length MQTT can say: 268,435,455 bytes to follow.
        await tls.WriteAsync(new byte[] { packetType, 0xFF, 0xFF, 0xFF, 0x7F });
        await tls.FlushAsync();

        Assert.True(await ClosedByServerAsync(tls, TimeSpan.FromSeconds(15)));
        await WaitLoggedAsync("a packet of 268435460 bytes announced, over the 2097152-byte limit");
    }

    [Fact]
    public async Task ACertificateRevokedBetweenHandshakeAndConnect_GetsNoSession()
    {
        await using var tls = await TlsAsync("late-revoked-01", System.Security.Authentication.SslProtocols.Tls12);
        _host.Services.GetRequiredService<DeviceProvisioner>().Revoke("late-revoked-01", "stolen");

        // On Linux the server judges the client's certificate after the client's side of the
        // handshake has finished, so the revocation can land before that check (the handshake is
        // refused and the connection closed) or after it (CONNECT refused with its reason). The
        // full suite's load once gave the first; either way there is no session and the log says why.
        var connAck = new byte[5];
        var read = 0;
        try
        {
            await tls.WriteAsync(ConnectPacket("late-revoked-01"));
            read = await tls.ReadAtLeastAsync(connAck, connAck.Length, throwOnEndOfStream: false);
        }
        catch (IOException)
        {
            // Closed by the server's certificate check before CONNECT could be written.
        }

        if (read > 0)
        {
            Assert.Equal(connAck.Length, read);
            Assert.Equal(0x20, connAck[0]); // CONNACK
            Assert.Equal(0x87, connAck[3]); // Not authorized
        }

        await WaitLoggedAsync("Broker refused late-revoked-01: certificate revoked");
    }

    /// <summary>An MQTT 5 CONNECT with a clean start, a 60 s keep-alive, no properties and <paramref name="clientId"/>.</summary>
    private static byte[] ConnectPacket(string clientId)
    {
        var id = System.Text.Encoding.UTF8.GetBytes(clientId);
        byte[] variable = [0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0, 60, 0];
        byte[] payload = [(byte)(id.Length >> 8), (byte)id.Length, .. id];
        return [0x10, (byte)(variable.Length + payload.Length), .. variable, .. payload];
    }

    [Fact]
    public async Task ConnAck_AnnouncesTheMaximumPacketSize()
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", Port)
            .WithClientId("connack-dev-01")
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTlsOptions(t => t.UseTls().WithTargetHost("localhost").WithCertificateValidationHandler(_ => true).WithClientCertificates([Device("connack-dev-01")]))
            .Build());

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.Equal(2u * 1024 * 1024, result.MaximumPacketSize);
    }

    [Fact]
    public async Task ASharedSubscription_IsRefused_AndLogged()
    {
        using var client = await MqttTestClient.ConnectAsync(Port, "share-dev-01", Device("share-dev-01"));

        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"$share/g/{ApplianceTopics.Command("share-dev-01")}").Build());

        Assert.Equal(MqttClientSubscribeResultCode.SharedSubscriptionsNotSupported, Assert.Single(result.Items).ResultCode);
        await WaitLoggedAsync("Broker refused share-dev-01 from 127.0.0.1 a shared subscription");
    }

    private X509Certificate2 Device(string deviceId)
    {
        var bundle = _host.Services.GetRequiredService<DeviceProvisioner>().Provision(deviceId, "127.0.0.1", Port);
        return MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem);
    }

    /// <summary>A TLS session with a valid device certificate, and nothing sent over it yet.</summary>
    /// <param name="protocols">
    /// TLS 1.2 when the test must know the broker has already accepted the certificate: in 1.3
    /// the client finishes its handshake before the server has checked the client's certificate.
    /// </param>
    private async Task<SslStream> TlsAsync(string deviceId, System.Security.Authentication.SslProtocols protocols = System.Security.Authentication.SslProtocols.None)
    {
        var certificate = Device(deviceId);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port);
        var ca = _host.Services.GetRequiredService<Appliance.Host.Infrastructure.Security.FileCertificateAuthority>().Ca;
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, server, _, _) =>
            server is not null && MutualTls.ChainsTo(new X509Certificate2(server), ca, MutualTls.ServerAuthOid, DateTimeOffset.UtcNow, out _));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ClientCertificates = [certificate], EnabledSslProtocols = protocols });
        return tls;
    }

    /// <summary>True once the server has closed the connection (a read ends or fails), false if it is still open at the limit.</summary>
    private static async Task<bool> ClosedByServerAsync(Stream stream, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
                // A server's bytes (a CONNACK, say) before it closes; keep reading.
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private Task WaitLoggedAsync(string text) =>
        Poll.UntilAsync(() => _logs.AtLeast(LogLevel.Warning).Any(e => e.Message.Contains(text, StringComparison.Ordinal)), $"a warning saying '{text}'");
}
