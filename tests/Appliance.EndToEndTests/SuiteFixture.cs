using System.Security.Cryptography.X509Certificates;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Appliance.EndToEndTests;

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
        // Shared by a class's tests: an error nobody expected fails the class.
        Logs.ThrowIfUnexpectedErrors();
    }

    /// <summary>Provisions another device on the host and returns its client certificate and the CA.</summary>
    public (X509Certificate2 Certificate, X509Certificate2 Ca) ProvisionOther(string deviceId)
    {
        var bundle = Suite.HostService<DeviceProvisioner>().Provision(deviceId, "127.0.0.1", BrokerPort);
        return (MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem), MutualTls.LoadCertificate(bundle.CaCertificatePem));
    }

    /// <summary>Connects a raw MQTT client; null when the broker (or TLS) refused it.</summary>
    public Task<IMqttClient?> TryConnectAsync(string clientId, X509Certificate2? certificate) =>
        MqttTestClient.TryConnectAsync(BrokerPort, clientId, certificate);
}
