using Appliance.Demo;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Web;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.EndToEndTests;

/// <summary>
/// External broker mode against Debian's mosquitto, configured only by what
/// <c>appliance-host broker-config</c> writes: the end-to-end capture, the ACL generated from the
/// fleet, the revocation list, and the host's shared subscription.
/// </summary>
public sealed class ExternalMosquittoTests : IAsyncLifetime
{
    private const string DeviceId = "mosq-dev-01";
    private const string RogueId = "mosq-rogue-01";
    private const string RevokedId = "mosq-revoked-01";
    private readonly TempFolder _folder = new("external-mosquitto");
    private readonly CapturedLogs _logs = new();
    private readonly int _port = MosquittoBroker.FreePort();
    private MosquittoBroker _broker = null!;
    private EmbeddedSuite _suite = null!;
    private ProvisioningBundle _rogue = null!;
    private ProvisioningBundle _revoked = null!;
    private ProvisioningBundle _bundle = null!;

    /// <summary>
    /// An answer lost with the broker is waited for this long before the appliance asks again:
    /// short here, so a broker restart on a loaded test machine is recovered well inside the test's patience.
    /// </summary>
    private static Dictionary<string, string?> ApplianceSettings => new()
    {
        ["Uplink:ProgressTimeout"] = "00:00:05",
        ["Uplink:ReceiptTimeout"] = "00:00:05",
        ["Uplink:PollInterval"] = "00:00:01",
    };

    private Dictionary<string, string?> HostSettings => new()
    {
        ["Host:DataFolder"] = Path.Combine(_folder.Path, "host"),
        ["Broker:Mode"] = nameof(BrokerMode.External),
        ["Broker:ExternalHost"] = "127.0.0.1",
        ["Broker:ExternalPort"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:ListenAddress"] = "127.0.0.1",
        ["Broker:AdvertisedHost"] = "127.0.0.1",
        ["Broker:SharedSubscriptionGroup"] = "appliance-hosts",
        // The host keeps mosquitto's revocation list and ACL current, and reloads it, by itself.
        ["Broker:MosquittoConfigFolder"] = Path.Combine(_folder.Path, "mosquitto"),
        ["Broker:MosquittoReloadCommand"] = MosquittoBroker.ReloadCommandFor(Path.Combine(_folder.Path, "mosquitto", MosquittoConfiguration.ConfigFileName)),
    };

    public async Task InitializeAsync()
    {
        // What an IT admin does before the first start: provision, revoke the lost one, write the broker's configuration.
        ProvisioningBundle device;
        string config;
        await using (var admin = HostWebApplication.Create([], b => b.Configuration.AddInMemoryCollection(HostSettings), _folder.Path))
        {
            var provisioner = admin.Services.GetRequiredService<DeviceProvisioner>();
            device = provisioner.Provision(DeviceId, "127.0.0.1", _port);
            _rogue = provisioner.Provision(RogueId, "127.0.0.1", _port);
            _revoked = provisioner.Provision(RevokedId, "127.0.0.1", _port);
            provisioner.Revoke(RevokedId, "lost in transit");
            config = admin.Services.GetRequiredService<MosquittoConfiguration>().Write(Path.Combine(_folder.Path, "mosquitto"), _port, brokerUser: Environment.UserName);
        }

        _broker = await MosquittoBroker.StartAsync(config, _port);
        var host = await EmbeddedSuite.StartHostAsync(_folder.Path, LogLevel.Information, l => l.AddProvider(_logs), HostSettings);
        var applianceFolder = Path.Combine(_folder.Path, "appliance");
        DeviceProvisioner.WriteBundle(device, Path.Combine(applianceFolder, "bundle.json"));
        _bundle = device;
        var fleet = host.Services.GetRequiredService<FleetState>();
        var online = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.DeviceId == DeviceId);
        var appliance = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Information, ApplianceSettings, logging: l => l.AddProvider(_logs));
        await appliance.StartAsync();
        _suite = EmbeddedSuite.Compose(_folder.Path, DeviceId, host, appliance);
        await online.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await _suite.DisposeAsync();
        await _broker.DisposeAsync();
        _folder.Dispose();
        _logs.ThrowIfUnexpectedErrors();
    }

    [Fact]
    public async Task CaptureThroughMosquitto_IsFiledAndDeleted_WithTheHostOnASharedSubscription()
    {
        await _suite.CreateJobAndWaitArmedAsync("MOSQ-PATIENT-1", "back", ConsentScope.DirectCare, CancellationToken.None);

        var cycle = await _suite.PressAndWaitFiledAsync(CancellationToken.None);

        Assert.Equal(DeviceId, cycle.Filed.DeviceId);
        Assert.Contains(_logs.Entries, e => e.Message.Contains($"connected to the broker at 127.0.0.1:{_port}", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains("refused the host's subscription", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheGeneratedAcl_KeepsADeviceToItsOwnTopics()
    {
        using var certificate = MutualTls.LoadWithKey(_rogue.CertificatePem, _rogue.PrivateKeyPem);
        using var rogue = await MqttTestClient.ConnectAsync(_port, RogueId, certificate);

        foreach (var topic in new[] { ApplianceTopics.Upload(DeviceId), ApplianceTopics.Transfer(DeviceId, "host"), ApplianceTopics.Receipt(DeviceId) })
        {
            var published = await rogue.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("{}"u8.ToArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, published.ReasonCode);
        }

        // Its own upload topic is open to it: the host answers its (empty) offer with a refusal, not silence.
        await using var device = await RawDevice.ConnectAsync(rogue, RogueId);
        var answer = await device.UploadAsync(TransferScript.For(RogueId, "not an envelope"u8.ToArray(), TransferOffer.MinChunkSize));
        Assert.Equal(TransferState.Rejected, answer.State);

        // mosquitto grants any subscription and filters each delivery against the ACL: what
        // matters is that nothing of another device's reaches the rogue.
        var overheard = new System.Collections.Concurrent.ConcurrentBag<string>();
        rogue.ApplicationMessageReceivedAsync += e =>
        {
            overheard.Add(e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        await rogue.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Command(DeviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic("appliance/v2/#").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build());
        await _suite.CreateJobAndWaitArmedAsync("MOSQ-PATIENT-3", "scalp", ConsentScope.DirectCare, CancellationToken.None);
        // A barrier, not a pause: the host then writes to the rogue's own command topic, which
        // mosquitto delivers after anything the host published before it.
        await _suite.HostService<Appliance.Host.Core.IDeviceMessagePublisher>().PublishAsync(ApplianceTopics.Command(RogueId), "{}"u8.ToArray(), CancellationToken.None);
        await Poll.UntilAsync(() => overheard.Contains(ApplianceTopics.Command(RogueId)), "the barrier reaches the rogue");
        Assert.DoesNotContain(overheard, t => !t.StartsWith($"{ApplianceTopics.Root}/{RogueId}/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARevokedDevice_IsRefusedByMosquitto_ThroughTheRevocationList()
    {
        using var certificate = MutualTls.LoadWithKey(_revoked.CertificatePem, _revoked.PrivateKeyPem);

        using var client = await MqttTestClient.TryConnectAsync(_port, RevokedId, certificate);

        Assert.Null(client);
    }

    [Fact]
    public async Task MosquittoKilledMidTransfer_TheSeriesIsFiledOnceWhenItReturns()
    {
        await _suite.CreateJobAndWaitArmedAsync("MOSQ-PATIENT-2", "chest", ConsentScope.DirectCare, CancellationToken.None);
        var receiver = _suite.HostService<Appliance.Host.Core.Transfers.TransferReceiver>();
        var started = EmbeddedSuite.WaitFor<Appliance.Host.Core.Transfers.TransferAdvanced>(h => receiver.ChunkStored += h, h => receiver.ChunkStored -= h, _ => true);
        var filing = _suite.HostService<Appliance.Host.Core.Filing.SeriesFilingService>();
        var filed = EmbeddedSuite.WaitFor<Appliance.Host.Core.FiledSeries>(h => filing.Filed += h, h => filing.Filed -= h, f => f.DeviceId == DeviceId);

        _suite.PressButton();
        await started.WaitAsync(TimeSpan.FromSeconds(30));
        await _broker.KillAsync();
        await Task.Delay(500);
        await _broker.StartAsync();

        var series = await filed.WaitAsync(TimeSpan.FromSeconds(60));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await _suite.ApplianceService<Appliance.Firmware.Core.ISeriesStore>().CountAsync(cts.Token) > 0)
        {
            await Task.Delay(100, cts.Token);
        }

        var audit = _suite.HostService<Appliance.Host.Core.Audit.IAuditTrail>().ReadAll();
        Assert.Single(audit, e => e.Kind == Appliance.Host.Core.Audit.AuditKinds.SeriesFiled && e.Subject == series.SeriesId);
    }

    [Fact]
    public async Task AnOfflineAppliance_FindsItsWipeRetainedByMosquitto_AndTheConfirmationReachesTheSharedSubscription()
    {
        await _suite.Appliance.StopAsync();
        var orders = _suite.HostService<Appliance.Host.Core.Orders.DeviceOrderService>();
        var ledger = _suite.HostService<Appliance.Host.Core.Orders.IDeviceOrderLedger>();
        var wipe = orders.RequestWipe(DeviceId, "it.admin");
        await Poll.UntilAsync(() => ledger.FindWipe(DeviceId) is { Sends: > 0 }, "the wipe is sent");

        // Retained by mosquitto, under the generated ACL: the appliance gets it when it subscribes.
        using var returning = EmbeddedSuite.BuildAppliance(_suite.ApplianceDataFolder, LogLevel.Information, ApplianceSettings, logging: l => l.AddProvider(_logs));
        await returning.StartAsync();
        await Poll.UntilAsync(() => ledger.FindWipe(DeviceId) is { State: Appliance.Host.Core.Orders.WipeState.Confirmed }, "the wipe is confirmed through mosquitto", TimeSpan.FromSeconds(30));

        Assert.Equal(wipe.OrderId, CryptoEraser.ReadMarker(_suite.ApplianceDataFolder)!.OrderId);
        Assert.DoesNotContain(DeviceId, _suite.HostService<IDeviceCertificates>().ActiveDevices());

        // With no admin step, mosquitto refuses the wiped appliance's certificate (a thief who copied the card's keys first).
        using var certificate = MutualTls.LoadWithKey(_bundle.CertificatePem, _bundle.PrivateKeyPem);
        await Poll.UntilAsync(async () =>
        {
            using var client = await MqttTestClient.TryConnectAsync(_port, DeviceId, certificate);
            return client is null;
        }, "mosquitto refuses the wiped appliance");
        Assert.Contains(_logs.Entries, e => e.Message.Contains("Broker revocation list and ACL written", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADeviceClaimingAnothersClientId_DoesNotTakeOverItsSession()
    {
        int Connections() => _logs.Entries.Count(e => e.Category.StartsWith("Appliance.Firmware", StringComparison.Ordinal) && e.EventId.Id == 2001);
        var before = Connections();
        using var rogueCertificate = MutualTls.LoadWithKey(_rogue.CertificatePem, _rogue.PrivateKeyPem);

        // The rogue asks for the appliance's client id; mosquitto gives it its certificate's CN instead.
        using var rogue = await MqttTestClient.ConnectAsync(_port, DeviceId, rogueCertificate);

        // A round trip through the appliance after the rogue is in: the appliance was never knocked off to reconnect.
        await _suite.CreateJobAndWaitArmedAsync("MOSQ-PATIENT-4", "back", ConsentScope.DirectCare, CancellationToken.None);
        Assert.Equal(before, Connections());
        Assert.DoesNotContain(_suite.HostService<FleetState>().Received.Values, s => s.Status.DeviceId == DeviceId && s.Status.State == ApplianceState.Offline);
    }
}
