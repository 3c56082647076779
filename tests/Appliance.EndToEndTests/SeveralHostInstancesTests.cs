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
/// Two host instances behind Debian's mosquitto, joined in one MQTT 5 shared subscription:
/// offers are spread over both, each series' chunks go to the instance that answered its offer,
/// and every series is filed exactly once in one unbroken audit chain. Run on one data folder
/// (one machine, LiteDB) and on two machines' worth of separate data folders sharing only
/// PostgreSQL, the broker and a read-only secrets folder made by <c>secrets export</c>.
/// </summary>
public abstract class SeveralHostInstancesTests : IAsyncLifetime
{
    protected const string DeviceId = "multi-dev-01";
    private ProvisioningBundle _bundle = null!;
    private MosquittoBroker _broker = null!;

    protected TempFolder Folder { get; } = new("several-hosts");

    protected int Port { get; } = MosquittoBroker.FreePort();

    protected WebApplication First { get; private set; } = null!;

    protected WebApplication Second { get; private set; } = null!;

    private bool _secondStopped;

    /// <summary>Where each instance keeps its state; the broker settings are added to these.</summary>
    protected abstract Dictionary<string, string?> StateSettings(string instance);

    /// <summary>What the admin does once before any instance starts.</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    private Dictionary<string, string?> Settings(string instance) => new(StateSettings(instance))
    {
        ["Broker:Mode"] = nameof(BrokerMode.External),
        ["Broker:ExternalHost"] = "127.0.0.1",
        ["Broker:ExternalPort"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:SharedSubscriptionGroup"] = "appliance-hosts",
        ["Transfers:InstanceId"] = instance,
        // Each instance has a client certificate of its own; the ACL must know it before it connects.
        ["Broker:MosquittoConfigFolder"] = Path.Combine(Folder.Path, "mosquitto"),
        ["Broker:MosquittoReloadCommand"] = MosquittoBroker.ReloadCommandFor(Path.Combine(Folder.Path, "mosquitto", MosquittoConfiguration.ConfigFileName)),
    };

    public async Task InitializeAsync()
    {
        await PrepareAsync();
        string config;
        await using (var admin = HostWebApplication.Create([], b => b.Configuration.AddInMemoryCollection(Settings("host-a")), Folder.Path))
        {
            _bundle = admin.Services.GetRequiredService<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", Port);
            config = admin.Services.GetRequiredService<MosquittoConfiguration>().Write(Path.Combine(Folder.Path, "mosquitto"), Port, brokerUser: Environment.UserName);
        }

        _broker = await MosquittoBroker.StartAsync(config, Port);
        First = await EmbeddedSuite.StartHostAsync(Folder.Path, LogLevel.Warning, hostSettings: Settings("host-a"));
        Second = await EmbeddedSuite.StartHostAsync(Folder.Path, LogLevel.Warning, hostSettings: Settings("host-b"));
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _secondStopped ? [First] : new[] { Second, First })
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }

        await _broker.DisposeAsync();
        Folder.Dispose();
    }

    protected async Task<IReadOnlyList<string>> FileThroughTheBrokerAsync(int count, string patient)
    {
        var jobs = First.Services.GetRequiredService<CaptureJobService>();
        var hostKey = First.Services.GetRequiredService<IHostSealingKey>().PublicKey;
        using var certificate = MutualTls.LoadWithKey(_bundle.CertificatePem, _bundle.PrivateKeyPem);
        await using var device = await RawDevice.ConnectAsync(await MqttTestClient.ConnectAsync(Port, DeviceId, certificate), DeviceId);
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // Jobs are created on one instance; the other finds them in the shared archive.
            var job = await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, $"{patient}-{i}", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
            var series = SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: hostKey, signingPrivateKey: Convert.FromBase64String(_bundle.SigningPrivateKey), side: 48);
            var answer = await device.UploadAsync(TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize));
            Assert.Equal(TransferState.Filed, answer.State);
            ids.Add(series.Manifest.SeriesId);
        }

        return ids;
    }

    [Fact]
    public async Task OffersSpreadOverBothInstances_EverySeriesFiledOnce_OneUnbrokenAuditChain()
    {
        var filedBy = new Dictionary<string, List<string>> { ["host-a"] = [], ["host-b"] = [] };
        First.Services.GetRequiredService<SeriesFilingService>().Filed += (_, f) => { lock (filedBy) { filedBy["host-a"].Add(f.SeriesId); } };
        Second.Services.GetRequiredService<SeriesFilingService>().Filed += (_, f) => { lock (filedBy) { filedBy["host-b"].Add(f.SeriesId); } };

        var ids = await FileThroughTheBrokerAsync(10, "MULTI-PATIENT");

        Assert.NotEmpty(filedBy["host-a"]);
        Assert.NotEmpty(filedBy["host-b"]);
        Assert.Equal(ids.Order(), filedBy.Values.SelectMany(v => v).Order());
        var trail = Second.Services.GetRequiredService<IAuditTrail>();
        var entries = trail.ReadAll();
        Assert.All(ids, id => Assert.Single(entries, e => e.Kind == AuditKinds.SeriesFiled && e.Subject == id));
        Assert.True(AuditVerifier.Verify(entries, trail.ReadHead()).Intact);
    }

    [Fact]
    public async Task WhenOneInstanceIsGone_EveryOfferIsAnsweredByTheOther()
    {
        // Both joined the group; then one goes. A broker that kept its session in the group would
        // hand it every other offer, and those appliances would wait for an answer that never comes.
        _secondStopped = true;
        await Second.StopAsync();
        await Second.DisposeAsync();
        var filed = new List<string>();
        First.Services.GetRequiredService<SeriesFilingService>().Filed += (_, f) => { lock (filed) { filed.Add(f.SeriesId); } };

        var ids = await FileThroughTheBrokerAsync(6, "AFTER-ONE-WENT");

        Assert.Equal(ids.Order(), filed.Order());
    }
}

/// <summary>Two instances on one machine's data folder: the archive in LiteDB, the rest in files under locks.</summary>
public sealed class SeveralHostInstancesOnOneFolderTests : SeveralHostInstancesTests
{
    protected override Dictionary<string, string?> StateSettings(string instance) => new() { ["Host:DataFolder"] = Path.Combine(Folder.Path, "host") };
}

/// <summary>
/// Two instances as on two machines: each its own data folder, sharing only PostgreSQL, the broker
/// and the secrets folder an admin exported with the real command line. A series either filed is
/// read on the other, and a sign-in on one holds on the other.
/// </summary>
public sealed class SeveralHostInstancesOnSeveralMachinesTests(PostgresFixture postgres) : SeveralHostInstancesTests, IClassFixture<PostgresFixture>
{
    private string _connectionString = string.Empty;

    private string Secrets => Path.Combine(Folder.Path, "secrets");

    protected override Dictionary<string, string?> StateSettings(string instance) => new()
    {
        ["Host:DataFolder"] = Path.Combine(Folder.Path, instance),
        ["Host:SecretsFolder"] = Secrets,
        ["Archive:Provider"] = "PostgreSql",
        ["PostgreSql:ConnectionString"] = _connectionString,
    };

    protected override async Task PrepareAsync()
    {
        _connectionString = await postgres.DatabaseAsync();
        var exported = await HostCli.RunJsonAsync("secrets", "export", Secrets, "--instance", "host-a", "--instance", "host-b", "--json", $"--Host:DataFolder={Path.Combine(Folder.Path, "admin")}");
        Assert.Contains("ca/host-client.host-b.pfx", exported.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        await HostCli.RunJsonAsync("migrate", "--json", "--Archive:Provider=PostgreSql", $"--PostgreSql:ConnectionString={_connectionString}");
    }

    [Fact]
    public async Task ASeriesFiledOnEither_IsReadOnTheOther_AndASignInOnOneHoldsOnTheOther()
    {
        var ids = await FileThroughTheBrokerAsync(4, "MACHINES-PATIENT");
        foreach (var id in ids)
        {
            var other = Second.Services.GetRequiredService<ISeriesArchive>();
            var filed = (await other.FindAsync(id, CancellationToken.None))!;
            Assert.Equal(filed.Frames[0].Sha256, Appliance.Protocol.SeriesSealing.Sha256Hex(await other.ReadFrameAsync(id, 0, CancellationToken.None)));
            Assert.Equal(filed.PatientId, (await First.Services.GetRequiredService<ISeriesArchive>().FindAsync(id, CancellationToken.None))!.PatientId);
        }

        // Neither instance made keys of its own, and neither wrote the archive into its data folder.
        foreach (var instance in (string[])["host-a", "host-b"])
        {
            Assert.False(File.Exists(Path.Combine(Folder.Path, instance, "keys", "archive.key")));
            Assert.False(File.Exists(Path.Combine(Folder.Path, instance, "ca", "ca.pfx")));
            Assert.False(File.Exists(Path.Combine(Folder.Path, instance, "archive", "archive.db")));
        }

        First.Services.GetRequiredService<Appliance.Host.Core.Users.UserService>().Add("derm.m", Appliance.Host.Core.Users.UserRoles.Dermatologist, "a long passphrase for tests", "admin");
        var cookies = new System.Net.CookieContainer();
        using var onFirst = await Appliance.EndToEndKit.HostPages.SignInAsync(First, "derm.m", "a long passphrase for tests", cookies);
        // Both listen on 127.0.0.1, so the container offers the first's cookie to the second (cookies ignore the port).
        using var onSecond = Appliance.EndToEndKit.HostPages.NewClient(Second, cookies);
        using var page = await onSecond.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("derm.m", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var signedOut = await Appliance.EndToEndKit.HostPages.SignOutAsync(onFirst);
        using var after = await onSecond.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("/Account/Login", after.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public void AReleaseImportedThroughOne_IsServedByTheOther()
    {
        // An appliance's fetch for the package its update names may land on either instance.
        var (privateKey, publicKey) = Appliance.Protocol.Releases.ReleasePackage.CreateKeyPair();
        First.Services.GetRequiredService<Appliance.Host.Core.Releases.ReleaseLibrary>().Trust(publicKey, "it.admin");
        var payload = Directory.CreateDirectory(Path.Combine(Folder.Path, "payload")).FullName;
        File.WriteAllBytes(Path.Combine(payload, "Appliance.Firmware"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));
        var package = Path.Combine(Folder.Path, "2.4.0.release");
        Appliance.Protocol.Releases.ReleasePackage.Create(payload,
            new Appliance.Protocol.Releases.ReleaseManifest(Appliance.Protocol.Releases.ReleaseManifest.CurrentFormat, "2.4.0", 1, "linux-arm64", ["pi4"], 0, string.Empty, new DateOnly(2028, 12, 31), 1, "shared release", string.Empty),
            privateKey, package);

        Assert.True(First.Services.GetRequiredService<Appliance.Host.Core.Releases.ReleaseLibrary>().Import(package, "it.admin").Accepted);
        Assert.False(Second.Services.GetRequiredService<Appliance.Host.Core.Releases.ReleaseLibrary>().Import(package, "it.admin").Accepted); // once is enough

        Assert.Equal("2.4.0", Assert.Single(Second.Services.GetRequiredService<Appliance.Host.Core.Releases.ReleaseLibrary>().List()).Manifest.Version);
        var served = Second.Services.GetRequiredService<Appliance.Host.Core.Rollouts.ReleasePackages>().Describe("2.4.0", "linux-arm64", 64 * 1024);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(package))), served.Sha256);
        Assert.StartsWith(Path.Combine(Folder.Path, "host-b"), served.Path, StringComparison.Ordinal);
    }
}
