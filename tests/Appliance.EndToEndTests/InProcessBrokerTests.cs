using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.EndToEndTests;

/// <summary>
/// The host's own client reaches the embedded broker inside the process, with no socket and no
/// TLS. That path is no way round the broker's rules: it takes only a certificate of the host's CA
/// that is not revoked, and what connects over it has the access of the certificate it holds.
/// </summary>
public sealed class InProcessBrokerTests(SuiteFixture fixture) : IClassFixture<SuiteFixture>
{
    private EmbeddedMqttBroker Broker => fixture.Suite.HostService<EmbeddedMqttBroker>();

    [Fact]
    public async Task TheHostsOwnClient_IsConnectedInProcess_AndFiles()
    {
        // The suite's appliance captured and the host filed at start; the host's client said how it is connected.
        Assert.Contains(fixture.Logs.Entries, e => e.EventId.Id == 4101 && e.Message.Contains("the embedded broker (in process)", StringComparison.Ordinal));
        Assert.Contains(FileCertificateAuthority.HostClientId, await Broker.ConnectedClientsAsync());
        Assert.Equal(0, Broker.Unauthenticated);
    }

    [Fact]
    public async Task ACertificateFromAnotherCa_IsRefused_BeforeAnyConnection()
    {
        using var foreign = ForeignCertificates.CreateClient(FileCertificateAuthority.HostClientId);

        await Assert.ThrowsAsync<AuthenticationException>(() => Broker.InProcessDialler(foreign).ConnectAsync(new DnsEndPoint("in-process", 0), CancellationToken.None));
        Assert.Contains(fixture.Logs.AtLeast(LogLevel.Warning), e => e.Message.Contains($"Broker refused {FileCertificateAuthority.HostClientId}: certificate refused", StringComparison.Ordinal));
        Assert.Equal(0, Broker.Unauthenticated);
    }

    [Fact]
    public async Task ARevokedCertificate_IsRefused()
    {
        var (certificate, _) = fixture.ProvisionOther("inproc-revoked-01");
        using (var before = await ConnectInProcessAsync("inproc-revoked-01", certificate))
        {
            Assert.True(before.IsConnected);
        }

        Assert.Equal(1, fixture.Suite.HostService<DeviceProvisioner>().Revoke("inproc-revoked-01", "lost"));

        await Assert.ThrowsAsync<AuthenticationException>(() => Broker.InProcessDialler(certificate).ConnectAsync(new DnsEndPoint("in-process", 0), CancellationToken.None));
    }

    [Fact]
    public async Task ADevicesCertificate_InProcess_HasOnlyThatDevicesAccess()
    {
        var (certificate, _) = fixture.ProvisionOther("inproc-dev-01");
        using var client = await ConnectInProcessAsync("inproc-dev-01", certificate);

        var intoAnother = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(ApplianceTopics.Upload(fixture.Suite.DeviceId))
            .WithPayload("{}"u8.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        var everything = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("#").Build());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, intoAnother.ReasonCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(everything.Items).ResultCode);
    }

    [Fact]
    public async Task ADevicesCertificate_InProcess_CannotConnectAsTheHost()
    {
        var (certificate, _) = fixture.ProvisionOther("inproc-dev-02");
        using var client = new MqttClientFactory().CreateMqttClient();

        var refused = await client.ConnectAsync(InProcessOptions(FileCertificateAuthority.HostClientId, certificate));

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, refused.ResultCode);
        Assert.False(client.IsConnected);
        Assert.Contains(fixture.Logs.AtLeast(LogLevel.Warning), e => e.Message.Contains($"Broker refused {FileCertificateAuthority.HostClientId}: client id does not match certificate CN 'inproc-dev-02'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStoppedBroker_RefusesInProcessConnections_AndTheHostsClientComesBackWhenItRestarts()
    {
        using var folder = new TempFolder("in-process-restart");
        var logs = new CapturedLogs();
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path, LogLevel.Information, l => l.AddProvider(logs));
        var broker = host.Services.GetRequiredService<EmbeddedMqttBroker>();
        var hostCertificate = host.Services.GetRequiredService<FileCertificateAuthority>().HostClientCertificateFor(FileCertificateAuthority.HostClientId);

        await broker.StopAsync(CancellationToken.None);
        await Assert.ThrowsAsync<MqttCommunicationException>(() => broker.InProcessDialler(hostCertificate).ConnectAsync(new DnsEndPoint("in-process", 0), CancellationToken.None));

        await broker.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(async () => (await broker.ConnectedClientsAsync()).Contains(FileCertificateAuthority.HostClientId), "the host's client reconnects in process");
        // The broker holds the session a moment before the client's connect returns and it says so.
        await Poll.UntilAsync(() => logs.Entries.Count(e => e.EventId.Id == 4101) >= 2, "the host's client says it reconnected");
        Assert.Equal(2, logs.Entries.Count(e => e.EventId.Id == 4101));
        await host.StopAsync();
        Assert.Empty(logs.AtLeast(LogLevel.Error));
    }

    private async Task<IMqttClient> ConnectInProcessAsync(string clientId, X509Certificate2 certificate)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(InProcessOptions(clientId, certificate));
        return client;
    }

    private MqttClientOptions InProcessOptions(string clientId, X509Certificate2 certificate) => new MqttClientOptionsBuilder()
        .WithTcpServer("in-process")
        .WithStreamProvider(Broker.InProcessDialler(certificate))
        .WithClientId(clientId)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .Build();
}
