using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Core.Transfers;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Appliance.EndToEndTests;

public sealed class BrokerSecurityTests(SuiteFixture fixture) : IClassFixture<SuiteFixture>
{
    private EmbeddedSuite Suite => fixture.Suite;

    private bool Logged(string text) => fixture.Logs.AtLeast(LogLevel.Warning).Any(e => e.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task ClientWithoutCertificate_CannotConnect()
    {
        using var client = await fixture.TryConnectAsync("rogue-nocert", null);

        Assert.Null(client);
        Assert.True(Logged("no client certificate"));
    }

    [Fact]
    public async Task ClientWithCertificateFromAnotherCa_CannotConnect()
    {
        using var foreign = ForeignCertificates.CreateClient("demo-appliance-01");

        using var client = await fixture.TryConnectAsync("demo-appliance-01", foreign);

        Assert.Null(client);
        Assert.True(Logged("certificate refused"));
    }

    [Fact]
    public async Task ClientWithAnExpiredCertificateFromTheHostCa_CannotConnect()
    {
        using var expired = ForeignCertificates.CreateExpiredClient(Suite.HostService<Appliance.Host.Infrastructure.Security.FileCertificateAuthority>().Ca, "expired-dev-01");

        using var client = await fixture.TryConnectAsync("expired-dev-01", expired);

        Assert.Null(client);
        Assert.True(Logged("certificate refused: certificate has expired"));
    }

    [Fact]
    public async Task Device_PublishingIntoAnotherDevicesUploadOrTransfer_IsRefused()
    {
        var (certificate, _) = fixture.ProvisionOther("rogue-xfer-01");
        using var client = await fixture.TryConnectAsync("rogue-xfer-01", certificate);
        Assert.NotNull(client);

        foreach (var topic in new[] { ApplianceTopics.Upload(Suite.DeviceId), ApplianceTopics.Transfer(Suite.DeviceId, "host"), ApplianceTopics.Progress("rogue-xfer-01") })
        {
            var result = await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload("{}"u8.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());

            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
            Assert.True(Logged($"may not publish to {topic}"));
        }
    }

    [Fact]
    public async Task APacketOverTheSizeLimit_IsRefused_AndTheConnectionClosed()
    {
        var (certificate, _) = fixture.ProvisionOther("rogue-big-01");
        using var client = await fixture.TryConnectAsync("rogue-big-01", certificate);
        Assert.NotNull(client);
        var limit = Suite.HostService<Microsoft.Extensions.Options.IOptions<BrokerOptions>>().Value.MaxPacketSize;

        try
        {
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(ApplianceTopics.Upload("rogue-big-01"))
                .WithPayload(new byte[limit + 1])
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            // The broker closed the connection before its acknowledgement: also a refusal. MQTTnet
            // reports it either way, depending on whether its reader or the publish sees the close first.
        }

        // The listener refuses it as its length arrives and logs when the connection has ended,
        // which may be just after the client hears of it.
        await Poll.UntilAsync(() => Logged("-byte limit"), "the refusal logged");
        await Poll.UntilAsync(() => !client.IsConnected, "the connection closed");
    }

    [Fact]
    public async Task ClientIdOtherThanCertificateName_IsRefused()
    {
        var (certificate, _) = fixture.ProvisionOther("rogue-id-01");

        using var client = await fixture.TryConnectAsync("someone-else-01", certificate);

        Assert.Null(client);
        Assert.True(Logged("does not match certificate CN"));
    }

    [Fact]
    public async Task Device_PublishingIntoAnotherDevicesTopic_IsRefused()
    {
        var (certificate, _) = fixture.ProvisionOther("rogue-pub-01");
        using var client = await fixture.TryConnectAsync("rogue-pub-01", certificate);
        Assert.NotNull(client);

        var result = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(ApplianceTopics.Command(Suite.DeviceId))
            .WithPayload("{}"u8.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        Assert.True(Logged($"may not publish to {ApplianceTopics.Command(Suite.DeviceId)}"));
    }

    [Fact]
    public async Task ADeviceSpeakingAnEarlierProtocolVersion_IsRefused_AndToldToUpdateItsFirmware()
    {
        // Version 1 put a series id where a reason goes: its messages must not be read as version 2's.
        var (certificate, _) = fixture.ProvisionOther("old-fw-01");
        using var client = await fixture.TryConnectAsync("old-fw-01", certificate);
        Assert.NotNull(client);
        var heard = 0;
        Suite.HostService<Host.Core.Fleet.FleetState>().StatusReceived += (_, s) => heard += s.DeviceId == "old-fw-01" ? 1 : 0;

        var result = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("appliance/v1/old-fw-01/status")
            .WithPayload("""{"deviceId":"old-fw-01","state":"accepted","firmwareVersion":"0.9.0","queueDepth":0,"at":"2026-12-01T00:00:00+00:00","reason":"3f1c0a52-4a43-4d8e-9d51-0c5f0b6f7e21"}"""u8.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("appliance/v1/old-fw-01/command").Build());

        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, result.ReasonCode);
        Assert.Contains("this host speaks version 2: update the appliance's firmware", result.ReasonString);
        Assert.Equal(MqttClientSubscribeResultCode.TopicFilterInvalid, Assert.Single(subscribed.Items).ResultCode);
        Assert.True(Logged("appliance/v1/old-fw-01/status is protocol version 1"));
        Assert.Equal(0, heard);
    }

    [Fact]
    public async Task Device_SubscribingToAWildcard_IsRefused()
    {
        var (certificate, _) = fixture.ProvisionOther("rogue-sub-01");
        using var client = await fixture.TryConnectAsync("rogue-sub-01", certificate);
        Assert.NotNull(client);

        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("appliance/v2/+/receipt").Build());

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(result.Items).ResultCode);
    }

    [Fact]
    public async Task RevokedDevice_IsRefusedAtItsNextConnection_WithTheReasonLogged_AndAFreshProvisioningWorks()
    {
        var (certificate, _) = fixture.ProvisionOther("revoked-dev-01");
        using (var before = await fixture.TryConnectAsync("revoked-dev-01", certificate))
        {
            Assert.NotNull(before);
        }

        var broker = Suite.HostService<EmbeddedMqttBroker>();
        var refused = EmbeddedSuite.WaitFor<(string ClientId, string Reason)>(h => broker.Refused += h, h => broker.Refused -= h, r => r.Reason == "certificate revoked");
        Assert.Equal(1, Suite.HostService<DeviceProvisioner>().Revoke("revoked-dev-01", "stolen from clinic A"));

        using (var after = await fixture.TryConnectAsync("revoked-dev-01", certificate))
        {
            Assert.Null(after);
        }

        Assert.Equal("revoked-dev-01", (await refused.WaitAsync(TimeSpan.FromSeconds(5))).ClientId);
        Assert.True(Logged("certificate revoked"));
        Assert.Contains(Suite.HostService<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.DeviceRevoked && e.Subject == "revoked-dev-01");

        var (fresh, _) = fixture.ProvisionOther("revoked-dev-01");
        using var again = await fixture.TryConnectAsync("revoked-dev-01", fresh);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task ADeviceConnectingTooOften_IsRefused_WithTheReasonLogged()
    {
        var (certificate, _) = fixture.ProvisionOther("chatty-dev-01");
        var limit = Suite.HostService<Microsoft.Extensions.Options.IOptions<BrokerOptions>>().Value.MaxConnectionsPerMinute;
        for (var i = 0; i < limit; i++)
        {
            using var client = await fixture.TryConnectAsync("chatty-dev-01", certificate);
            Assert.NotNull(client);
        }

        using (var oneTooMany = await fixture.TryConnectAsync("chatty-dev-01", certificate))
        {
            Assert.Null(oneTooMany);
        }

        Assert.True(Logged("connections in a minute"));
    }

    [Fact]
    public async Task MalformedMessagesOnEveryHostTopic_AreRejectedWithReason_AndTheHostKeepsFiling()
    {
        var (certificate, _) = fixture.ProvisionOther("rogue-bad-01");
        using var client = await fixture.TryConnectAsync("rogue-bad-01", certificate);
        Assert.NotNull(client);
        var inbound = Suite.HostService<HostInboundHandler>();
        var filing = Suite.HostService<SeriesFilingService>();
        // The device's own signing key, as its bundle holds it.
        var signingKey = Convert.FromBase64String(Suite.HostService<DeviceProvisioner>().Provision("rogue-bad-01", "127.0.0.1", fixture.BrokerPort).SigningPrivateKey);
        var hostKey = Suite.HostService<IHostSealingKey>().PublicKey;
        // Signed and sealed as it should be, but for an episode the host never issued.
        var unissued = SealedSeriesFactory.Create("rogue-bad-01", episodeCode: "EP-NEVERSSUED", jobId: "job-x", hostPublicKey: hostKey, signingPrivateKey: signingKey);
        // Signed with a key the host never gave this device.
        var forged = SealedSeriesFactory.Create("rogue-bad-01", hostPublicKey: hostKey);
        // Signed, then one byte of the sealed manifest changed.
        var tampered = SealedSeriesFactory.Create("rogue-bad-01", hostPublicKey: hostKey, signingPrivateKey: signingKey).Envelope();
        tampered[^(unissued.Sealed.Sum(f => f.Length) + 40)] ^= 0x01;

        // Whole uploads, through the transfer protocol, that the host must refuse after assembling them.
        (byte[] Envelope, string Reason)[] uploads =
        [
            ("not an envelope"u8.ToArray(), "bad magic"),
            ([(byte)'A', (byte)'S', (byte)'E', (byte)'2', 0, 0, 0, 5, 1, 2, 3, 4, 5], "not a valid SeriesRouting"),
            (unissued.Envelope(), "no capture job for this episode"),
            (forged.Envelope(), "signature does not verify"),
            (tampered, "signature does not verify"),
        ];
        await using var device = await RawDevice.ConnectAsync(client, "rogue-bad-01");
        foreach (var (envelope, reason) in uploads)
        {
            var answer = await device.UploadAsync(TransferScript.For("rogue-bad-01", envelope, TransferOffer.MinChunkSize));
            Assert.Equal(TransferState.Rejected, answer.State);
            Assert.Contains(reason, answer.Reason, StringComparison.Ordinal);
            Assert.True(Logged(reason), $"no logged reason containing '{reason}'");
        }

        (string Topic, byte[] Payload, string Reason)[] cases =
        [
            (ApplianceTopics.Upload("rogue-bad-01"), "{\"seriesId\":"u8.ToArray(), "not a valid TransferOffer"),
            (ApplianceTopics.Transfer("rogue-bad-01", "host"), "garbage"u8.ToArray(), "not a transfer frame"),
            (ApplianceTopics.Transfer("rogue-bad-01", "host"), TransferFrame.Encode(TransferFrameKind.Chunk, Guid.NewGuid(), 0, [1, 2, 3]), "no open transfer"),
            (ApplianceTopics.Status("rogue-bad-01"), "{\"deviceId\":"u8.ToArray(), "not a valid ApplianceStatus"),
            (ApplianceTopics.Status("rogue-bad-01"), ProtocolJson.Serialize(new ApplianceStatus("demo-appliance-01", ApplianceState.Armed, "1", 0, DateTimeOffset.UtcNow)), "status names another device"),
        ];
        var receiver = Suite.HostService<TransferReceiver>();
        foreach (var (topic, payload, reason) in cases)
        {
            var rejected = Task.WhenAny(
                EmbeddedSuite.WaitFor<string>(h => inbound.MessageRejected += h, h => inbound.MessageRejected -= h, r => r.Contains(reason, StringComparison.Ordinal)),
                EmbeddedSuite.WaitFor<string>(h => receiver.Rejected += h, h => receiver.Rejected -= h, r => r.Contains(reason, StringComparison.Ordinal)),
                EmbeddedSuite.WaitFor<FilingRejection>(h => filing.Rejected += h, h => filing.Rejected -= h, r => r.Reason.Contains(reason, StringComparison.Ordinal)).ContinueWith(t => t.Result.Reason, TaskScheduler.Default));
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await await rejected.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(Logged(reason), $"no logged reason containing '{reason}'");
        }

        // And the host still serves the real appliance.
        await Suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-7", "back", ConsentScope.DirectCare, CancellationToken.None);
        var cycle = await Suite.PressAndWaitFiledAsync(CancellationToken.None);
        Assert.Equal(Suite.DeviceId, cycle.Filed.DeviceId);
    }
}
