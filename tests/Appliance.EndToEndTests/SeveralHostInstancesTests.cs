using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Web;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.EndToEndTests;

/// <summary>
/// Two host instances on one data folder behind Debian's mosquitto, joined in one MQTT 5
/// shared subscription: offers are spread over both, each series' chunks go to the instance
/// that answered its offer, and every series is filed exactly once in one unbroken audit chain.
/// </summary>
public sealed class SeveralHostInstancesTests : IAsyncLifetime
{
    private const string DeviceId = "multi-dev-01";
    private readonly TempFolder _folder = new("several-hosts");
    private readonly int _port = MosquittoBroker.FreePort();
    private MosquittoBroker _broker = null!;
    private ProvisioningBundle _bundle = null!;
    private WebApplication _first = null!;
    private WebApplication _second = null!;

    private Dictionary<string, string?> Settings(string instance) => new()
    {
        ["Host:DataFolder"] = Path.Combine(_folder.Path, "host"),
        ["Broker:Mode"] = nameof(BrokerMode.External),
        ["Broker:ExternalHost"] = "127.0.0.1",
        ["Broker:ExternalPort"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:SharedSubscriptionGroup"] = "appliance-hosts",
        ["Transfers:InstanceId"] = instance,
        // Each instance has a client certificate of its own; the ACL must know it before it connects.
        ["Broker:MosquittoConfigFolder"] = Path.Combine(_folder.Path, "mosquitto"),
        ["Broker:MosquittoReloadCommand"] = MosquittoBroker.ReloadCommandFor(Path.Combine(_folder.Path, "mosquitto", MosquittoConfiguration.ConfigFileName)),
    };

    public async Task InitializeAsync()
    {
        string config;
        await using (var admin = HostWebApplication.Create([], b => b.Configuration.AddInMemoryCollection(Settings("host-a")), _folder.Path))
        {
            _bundle = admin.Services.GetRequiredService<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", _port);
            config = admin.Services.GetRequiredService<MosquittoConfiguration>().Write(Path.Combine(_folder.Path, "mosquitto"), _port, brokerUser: Environment.UserName);
        }

        _broker = await MosquittoBroker.StartAsync(config, _port);
        _first = await EmbeddedSuite.StartHostAsync(_folder.Path, LogLevel.Warning, hostSettings: Settings("host-a"));
        _second = await EmbeddedSuite.StartHostAsync(_folder.Path, LogLevel.Warning, hostSettings: Settings("host-b"));
    }

    public async Task DisposeAsync()
    {
        foreach (var host in new[] { _second, _first })
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }

        await _broker.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task OffersSpreadOverBothInstances_EverySeriesFiledOnce_OneUnbrokenAuditChain()
    {
        const int count = 10;
        var filedBy = new Dictionary<string, List<string>> { ["host-a"] = [], ["host-b"] = [] };
        _first.Services.GetRequiredService<SeriesFilingService>().Filed += (_, f) => { lock (filedBy) { filedBy["host-a"].Add(f.SeriesId); } };
        _second.Services.GetRequiredService<SeriesFilingService>().Filed += (_, f) => { lock (filedBy) { filedBy["host-b"].Add(f.SeriesId); } };
        var jobs = _first.Services.GetRequiredService<CaptureJobService>();
        var hostKey = _first.Services.GetRequiredService<IHostSealingKey>().PublicKey;
        using var certificate = MutualTls.LoadWithKey(_bundle.CertificatePem, _bundle.PrivateKeyPem);
        await using var device = await RawDevice.ConnectAsync(await MqttTestClient.ConnectAsync(_port, DeviceId, certificate), DeviceId);

        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // Jobs are created on one instance; the other finds them in the shared archive.
            var job = await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, $"MULTI-PATIENT-{i}", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
            var series = SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: hostKey, signingPrivateKey: Convert.FromBase64String(_bundle.SigningPrivateKey), side: 48);
            var answer = await device.UploadAsync(TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize));
            Assert.Equal(TransferState.Filed, answer.State);
            ids.Add(series.Manifest.SeriesId);
        }

        Assert.NotEmpty(filedBy["host-a"]);
        Assert.NotEmpty(filedBy["host-b"]);
        Assert.Equal(ids.Order(), filedBy.Values.SelectMany(v => v).Order());
        var trail = _second.Services.GetRequiredService<IAuditTrail>();
        var entries = trail.ReadAll();
        Assert.All(ids, id => Assert.Single(entries, e => e.Kind == AuditKinds.SeriesFiled && e.Subject == id));
        Assert.True(AuditVerifier.Verify(entries, trail.ReadHead()).Intact);
    }
}
