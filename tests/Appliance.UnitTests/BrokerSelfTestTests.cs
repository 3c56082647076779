using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Firmware.Core;
using Appliance.Firmware.Uplink;

namespace Appliance.UnitTests;

/// <summary>
/// The broker rows of <c>selftest</c> against TLS servers on loopback: one that is the
/// appliance's broker, one whose certificate is from another CA or names another host, one that
/// refuses the appliance's certificate, and no server at all; and an expired appliance certificate.
/// </summary>
public sealed class BrokerSelfTestTests : IDisposable
{
    private readonly Authority _ours = new("Appliance Test CA");
    private readonly X509Certificate2 _client;

    public BrokerSelfTestTests() => _client = _ours.Issue("clinic-a-01", ClientAuth, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(365));

    private static Oid ClientAuth => new("1.3.6.1.5.5.7.3.2");

    private static Oid ServerAuth => new("1.3.6.1.5.5.7.3.1");

    public void Dispose()
    {
        _client.Dispose();
        _ours.Dispose();
    }

    [Fact]
    public async Task TheAppliancesOwnBroker_PassesBothRows()
    {
        await using var broker = TlsServer.Start(_ours.Issue("broker", ServerAuth, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), ip: IPAddress.Loopback), _ours.Certificate);

        var rows = await RunAsync(broker.Port);

        Assert.Equal(SelfTestOutcome.Pass, rows[0].Outcome);
        Assert.Matches(@"^clinic-a-01, from the bundle's CA, valid until \d{4}-\d\d-\d\d \(36[45] days\)$", rows[0].Detail);
        Assert.Equal(new SelfTestResult($"broker 127.0.0.1:{broker.Port}", SelfTestOutcome.Pass, "TLS 1.3 both ways; the broker's certificate chains to the bundle's CA and names 127.0.0.1"), rows[1]);
        Assert.True(await broker.ClientPresented.Task, "the broker saw the appliance's certificate");
    }

    [Fact]
    public async Task ABrokerWhoseCertificateIsFromAnotherCa_IsNotTrusted()
    {
        using var other = new Authority("Somebody Else's CA");
        await using var broker = TlsServer.Start(other.Issue("broker", ServerAuth, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), ip: IPAddress.Loopback), _ours.Certificate);

        var row = (await RunAsync(broker.Port))[1];

        Assert.Equal(SelfTestOutcome.Fail, row.Outcome);
        Assert.StartsWith("the broker's certificate is not to be trusted: ", row.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABrokerCertificateForAnotherName_IsNotTrusted()
    {
        await using var broker = TlsServer.Start(_ours.Issue("broker", ServerAuth, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), dns: "broker.clinic.example"), _ours.Certificate);

        var row = (await RunAsync(broker.Port))[1];

        Assert.Equal(new SelfTestResult($"broker 127.0.0.1:{broker.Port}", SelfTestOutcome.Fail, "the broker's certificate is not to be trusted: name does not match the broker address"), row);
    }

    [Fact]
    public async Task ABrokerThatRefusesTheAppliancesCertificate_FailsTheRow()
    {
        // The broker trusts only another CA's clients: as it would a revoked or foreign appliance.
        using var other = new Authority("Somebody Else's CA");
        await using var broker = TlsServer.Start(_ours.Issue("broker", ServerAuth, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), ip: IPAddress.Loopback), other.Certificate);

        var row = (await RunAsync(broker.Port))[1];

        Assert.Equal(SelfTestOutcome.Fail, row.Outcome);
        Assert.Contains("refused this appliance's certificate", row.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoBrokerListening_SaysItCannotConnect()
    {
        using var reserved = new TcpListener(IPAddress.Loopback, 0);
        reserved.Start();
        var port = ((IPEndPoint)reserved.LocalEndpoint).Port;
        reserved.Stop();

        var row = (await RunAsync(port))[1];

        Assert.Equal(SelfTestOutcome.Fail, row.Outcome);
        Assert.StartsWith("cannot connect: ", row.Detail, StringComparison.Ordinal);
        Assert.EndsWith("(is the host running, and does the firewall let the appliance out to it?)", row.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExpiredApplianceCertificate_FailsTheCertificateRow()
    {
        using var expired = _ours.Issue("clinic-a-01", ClientAuth, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var broker = TlsServer.Start(_ours.Issue("broker", ServerAuth, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), ip: IPAddress.Loopback), _ours.Certificate);

        var rows = await new BrokerSelfTest(Credentials(expired, broker.Port), TimeProvider.System).RunAsync(CancellationToken.None);

        Assert.Equal(SelfTestOutcome.Fail, rows[0].Outcome);
        Assert.StartsWith("the appliance's certificate is not good for the bundle's CA: ", rows[0].Detail, StringComparison.Ordinal);
    }

    private Task<IReadOnlyList<SelfTestResult>> RunAsync(int port) =>
        new BrokerSelfTest(Credentials(_client, port), TimeProvider.System).RunAsync(CancellationToken.None);

    private UplinkCredentials Credentials(X509Certificate2 client, int port) =>
        new("clinic-a-01", client, _ours.Certificate, "127.0.0.1", port, new byte[32]);

    /// <summary>A CA with its key, issuing leaf certificates for the tests.</summary>
    private sealed class Authority : IDisposable
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public Authority(string name)
        {
            var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddYears(2));
        }

        public X509Certificate2 Certificate { get; }

        public X509Certificate2 Issue(string commonName, Oid usage, DateTimeOffset notBefore, DateTimeOffset notAfter, IPAddress? ip = null, string? dns = null)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
            if (ip is not null || dns is not null)
            {
                var names = new SubjectAlternativeNameBuilder();
                if (ip is not null)
                {
                    names.AddIpAddress(ip);
                }

                if (dns is not null)
                {
                    names.AddDnsName(dns);
                }

                request.CertificateExtensions.Add(names.Build());
            }

            using var issued = request.Create(Certificate, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
            using var withKey = issued.CopyWithPrivateKey(key);
            // Through PKCS#12: SslStream on Linux cannot use an ephemeral key.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }

        public void Dispose()
        {
            Certificate.Dispose();
            _key.Dispose();
        }
    }

    /// <summary>A TLS server that asks for a client certificate, accepts only those from <c>trustedClients</c>, and then waits, as a broker waits for CONNECT.</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly X509Certificate2 _certificate;
        private readonly X509Certificate2 _trustedClients;
        private Task _serving = Task.CompletedTask;

        private TlsServer(X509Certificate2 certificate, X509Certificate2 trustedClients)
        {
            _certificate = certificate;
            _trustedClients = trustedClients;
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public TaskCompletionSource<bool> ClientPresented { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static TlsServer Start(X509Certificate2 certificate, X509Certificate2 trustedClients)
        {
            var server = new TlsServer(certificate, trustedClients);
            server._listener.Start();
            server._serving = server.ServeAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
            _certificate.Dispose();
        }

        private async Task ServeAsync()
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            await using var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = (_, presented, _, _) =>
                        {
                            ClientPresented.TrySetResult(presented is not null);
                            return presented is not null && Appliance.Protocol.MutualTls.ChainsTo(new X509Certificate2(presented), _trustedClients, Appliance.Protocol.MutualTls.ClientAuthOid, DateTimeOffset.UtcNow, out _);
                        },
                    },
                    _stop.Token);
                await tls.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, _stop.Token);
            }
            catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                // A refused or finished connection: what the test looks at is the client's side.
            }
        }
    }
}
