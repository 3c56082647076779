using System.Security.Cryptography.X509Certificates;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;

namespace Appliance.IntegrationTests;

/// <summary>One embedded suite (host, broker, simulated appliance) on loopback, with every log entry captured.</summary>
public sealed class SuiteFixture : IAsyncLifetime
{
    private readonly TempFolder _folder = new("appliance-suite");

    public EmbeddedSuite Suite { get; private set; } = null!;

    private bool Started => Suite is not null;

    public CapturedLogs Logs { get; } = new();

    public int BrokerPort => Suite.HostService<EmbeddedMqttBroker>().BoundPort;

    public async Task InitializeAsync() =>
        Suite = await EmbeddedSuite.StartAsync(_folder.Path, logLevel: LogLevel.Information, logging: l => l.AddProvider(Logs));

    public async Task DisposeAsync()
    {
        if (Started)
        {
            await Suite.DisposeAsync();
        }

        _folder.Dispose();
    }

    /// <summary>Provisions another device on the host and returns its client certificate and the CA.</summary>
    public (X509Certificate2 Certificate, X509Certificate2 Ca) ProvisionOther(string deviceId)
    {
        var bundle = Suite.HostService<DeviceProvisioner>().Provision(deviceId, "127.0.0.1", BrokerPort);
        return (MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem), MutualTls.LoadCertificate(bundle.CaCertificatePem));
    }

    /// <summary>Connects a raw MQTT client; null when the broker (or TLS) refused it.</summary>
    public async Task<IMqttClient?> TryConnectAsync(string clientId, X509Certificate2? certificate)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", BrokerPort)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost("localhost").WithCertificateValidationHandler(_ => true);
                if (certificate is not null)
                {
                    tls.WithClientCertificates([certificate]);
                }
            })
            .Build();
        try
        {
            var result = await client.ConnectAsync(options);
            if (result.ResultCode == MqttClientConnectResultCode.Success)
            {
                return client;
            }
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused during the TLS handshake.
        }

        client.Dispose();
        return null;
    }
}
