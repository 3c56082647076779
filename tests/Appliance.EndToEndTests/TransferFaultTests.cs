using System.Net;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Transfers;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.EndToEndTests;

/// <summary>
/// The transfer under faults: every chunk fault a network or a rogue can produce, a host
/// restart, a broker restart and many cut connections, each ending with the series filed
/// exactly once, verified, and nothing left behind on either side. One suite, run on the
/// embedded default (LiteDB and files) and with the host's state in PostgreSQL.
/// </summary>
public abstract class TransferFaultTests : IAsyncLifetime
{
    private const string DeviceId = "fault-dev-01";
    private readonly TempFolder _folder = new("transfer-faults");
    private readonly CapturedLogs _logs = new();
    private WebApplication _host = null!;
    private ProvisioningBundle _bundle = null!;

    private static readonly Dictionary<string, string?> HostSettings = new()
    {
        // Dozens of reconnects a minute are the point here, not a device hammering the broker.
        ["Broker:MaxConnectionsPerMinute"] = "100000",
    };

    /// <summary>Where the host keeps its state: nothing for the embedded default.</summary>
    protected virtual Task<Dictionary<string, string?>> StateSettingsAsync() => Task.FromResult(new Dictionary<string, string?>());

    private Dictionary<string, string?> _state = [];

    public async Task InitializeAsync()
    {
        _state = await StateSettingsAsync();
        _host = await StartHostAsync(port: 0);
        _bundle = Host<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", BrokerPort);
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        _folder.Dispose();
        _logs.ThrowIfUnexpectedErrors();
    }

    private T Host<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    private int BrokerPort => Host<EmbeddedMqttBroker>().BoundPort;

    private Task<WebApplication> StartHostAsync(int port) =>
        EmbeddedSuite.StartHostAsync(_folder.Path, LogLevel.Information, l => l.AddProvider(_logs), new Dictionary<string, string?>(HostSettings.Concat(_state)) { ["Broker:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>A signed series for a job the host really issued to the device, its frames <paramref name="side"/> pixels square.</summary>
    private async Task<SealedSeries> IssuedSeriesAsync(int side, string? patientId = null, string? lesionLabel = null)
    {
        var job = await Host<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, patientId ?? $"FAULT-PATIENT-{Guid.NewGuid():N}", "back", ConsentScope.DirectCare, lesionLabel), "test", CancellationToken.None);
        return SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: Host<IHostSealingKey>().PublicKey, signingPrivateKey: Convert.FromBase64String(_bundle.SigningPrivateKey), side: side);
    }

    private async Task<RawDevice> ConnectRawAsync()
    {
        var client = await MqttTestClient.ConnectAsync(BrokerPort, DeviceId, MutualTls.LoadWithKey(_bundle.CertificatePem, _bundle.PrivateKeyPem));
        return await RawDevice.ConnectAsync(client, DeviceId);
    }

    private int FiledEntries(string seriesId) =>
        Host<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.SeriesFiled && e.Subject == seriesId);

    private string TransfersFolder => Path.Combine(_folder.Path, "host", "transfers");

    private bool NothingLeftOnTheHost() =>
        Host<TransferReceiver>().OpenCount == 0
        && (!Directory.Exists(TransfersFolder) || !Directory.EnumerateFiles(TransfersFolder, "*", SearchOption.AllDirectories).Any());

    [Fact]
    public async Task DuplicatedReorderedTruncatedAndCorruptedChunks_AnEarlyEnd_AndAReplayedOffer_FileTheSeriesExactlyOnce()
    {
        var series = await IssuedSeriesAsync(side: 64);
        var script = TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize);
        Assert.True(script.ChunkCount >= 6);
        await using var device = await ConnectRawAsync();
        var receiver = Host<TransferReceiver>();

        await device.OfferAsync(script);
        var opened = await device.NextProgressAsync(script.SeriesId);
        Assert.Equal(TransferState.Receiving, opened.State);
        Assert.Equal(Enumerable.Range(0, script.ChunkCount), opened.MissingIndices());

        // Every chunk but the third, last first, each twice: duplicates and disorder are harmless.
        foreach (var i in Enumerable.Range(0, script.ChunkCount).Where(i => i != 2).Reverse())
        {
            await device.SendAsync(opened.Receiver, script.Chunk(i));
            await device.SendAsync(opened.Receiver, script.Chunk(i));
        }

        // The third, cut short and then with a byte flipped: each refused with its reason.
        var truncated = script.Chunk(2)[..^100];
        var refused = EmbeddedSuite.WaitFor<string>(h => receiver.Rejected += h, h => receiver.Rejected -= h, r => r.Contains("truncated", StringComparison.Ordinal));
        await device.SendAsync(opened.Receiver, truncated);
        await refused.WaitAsync(TimeSpan.FromSeconds(10));
        var corrupted = script.Chunk(2);
        corrupted[^1] ^= 0x40;
        refused = EmbeddedSuite.WaitFor<string>(h => receiver.Rejected += h, h => receiver.Rejected -= h, r => r.Contains("corrupted", StringComparison.Ordinal));
        await device.SendAsync(opened.Receiver, corrupted);
        await refused.WaitAsync(TimeSpan.FromSeconds(10));

        // The end too early: the host names exactly the chunk it lacks and files nothing yet.
        await device.SendAsync(opened.Receiver, script.End());
        var lacking = await device.NextProgressAsync(script.SeriesId);
        Assert.Equal(TransferState.Receiving, lacking.State);
        Assert.Equal([2], lacking.MissingIndices());
        Assert.Null(await Host<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None));

        await device.SendAsync(opened.Receiver, script.Chunk(2));
        await device.SendAsync(opened.Receiver, script.End());
        Assert.Equal(TransferState.Filed, (await device.NextProgressAsync(script.SeriesId)).State);

        // The whole offer replayed (a device that lost the receipt, or a recorded message): confirmed, not filed again.
        await device.OfferAsync(script);
        Assert.Equal(TransferState.Filed, (await device.NextProgressAsync(script.SeriesId)).State);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("already filed; receipt sent again", StringComparison.Ordinal));

        var filed = await Host<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None);
        Assert.NotNull(filed);
        Assert.Equal(series.Plain[1], await Host<ISeriesArchive>().ReadFrameAsync(filed.SeriesId, 1, CancellationToken.None));
        Assert.Equal(1, FiledEntries(filed.SeriesId));
        Assert.Single(Host<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.SeriesReceived && e.Subject == filed.SeriesId);
        Assert.True(NothingLeftOnTheHost());
    }

    [Fact]
    public async Task FiledSeries_AreFoundByPatientAndLesion_NewestFirst_WithTheLesionNeverSentToTheAppliance()
    {
        var first = await IssuedSeriesAsync(side: 16, "PATIENT-LESION-1", "L1 left scapula");
        var other = await IssuedSeriesAsync(side: 16, "PATIENT-LESION-1", "L2 right calf");
        var later = await IssuedSeriesAsync(side: 16, "PATIENT-LESION-1", "L1 left scapula");
        await using var device = await ConnectRawAsync();
        foreach (var series in new[] { first, other, later })
        {
            Assert.Equal(TransferState.Filed, (await device.UploadAsync(TransferScript.For(DeviceId, series.Envelope()))).State);
        }

        var archive = Host<ISeriesArchive>();
        var lesion = await archive.ListForPatientAsync("PATIENT-LESION-1", "L1 left scapula", CancellationToken.None);
        Assert.Equal([later.Manifest.SeriesId, first.Manifest.SeriesId], lesion.Select(s => s.SeriesId));
        Assert.All(lesion, s => Assert.Equal("L1 left scapula", s.LesionLabel));
        Assert.Equal(3, (await archive.ListForPatientAsync("PATIENT-LESION-1", null, CancellationToken.None)).Count);
        Assert.Empty(await archive.ListForPatientAsync("PATIENT-LESION-2", null, CancellationToken.None));
        // What the appliance is sent of such a job carries neither the lesion label nor the patient.
        var job = new CaptureJobRecord("job-l1", DeviceId, "EP-ABCDEFGHJK", "PATIENT-LESION-1", "back", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(30), "L1 left scapula");
        var wire = System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(new HostCommand(HostCommand.CaptureJobKind, job.ToWire())));
        Assert.DoesNotContain("scapula", wire, StringComparison.Ordinal);
        Assert.DoesNotContain("PATIENT-LESION", wire, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AManifestClaimingTeachingConsentAndAnotherSite_IsFiledAsTheHostsJobSays()
    {
        // Staff recorded consent for direct care only, on the back; a compromised appliance (or a
        // broker that rewrote the job it carried) says teaching, and a forearm.
        var job = await Host<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, "FAULT-PATIENT-CONSENT", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
        var series = SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: Host<IHostSealingKey>().PublicKey,
            signingPrivateKey: Convert.FromBase64String(_bundle.SigningPrivateKey), bodySite: "left forearm", consentScope: ConsentScope.DirectCareAndTeaching);

        await using (var device = await ConnectRawAsync())
        {
            Assert.Equal(TransferState.Filed, (await device.UploadAsync(TransferScript.For(DeviceId, series.Envelope()))).State);
        }

        var filed = (await Host<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None))!;
        Assert.Equal(ConsentScope.DirectCare, filed.ConsentScope);
        Assert.Equal("back", filed.BodySite);
        Assert.False(filed.TeachingAllowed);
        Assert.Contains(Host<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.SeriesManifestOverruled && e.Subject == series.Manifest.SeriesId);
    }

    [Fact]
    public async Task HostRestartMidTransfer_ResumesFromTheChunksOnDisk_AndFilesOnce()
    {
        var series = await IssuedSeriesAsync(side: 64);
        var script = TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize);
        var half = script.ChunkCount / 2;
        var port = BrokerPort;
        TransferProgress opened;
        await using (var device = await ConnectRawAsync())
        {
            await device.OfferAsync(script);
            opened = await device.NextProgressAsync(script.SeriesId);
            var stored = EmbeddedSuite.WaitFor<TransferAdvanced>(h => Host<TransferReceiver>().ChunkStored += h, h => Host<TransferReceiver>().ChunkStored -= h, a => a.Have == half);
            for (var i = 0; i < half; i++)
            {
                await device.SendAsync(opened.Receiver, script.Chunk(i));
            }

            await stored.WaitAsync(TimeSpan.FromSeconds(10));
        }

        // The host goes down and comes back on the same data folder and port.
        await _host.StopAsync();
        await _host.DisposeAsync();
        _host = await StartHostAsync(port);

        await using (var device = await ConnectRawAsync())
        {
            await device.OfferAsync(script);
            var resumed = await device.NextProgressAsync(script.SeriesId);
            Assert.Equal(TransferState.Receiving, resumed.State);
            Assert.Equal(Enumerable.Range(half, script.ChunkCount - half), resumed.MissingIndices());
            foreach (var i in resumed.MissingIndices())
            {
                await device.SendAsync(resumed.Receiver, script.Chunk(i));
            }

            await device.SendAsync(resumed.Receiver, script.End());
            Assert.Equal(TransferState.Filed, (await device.NextProgressAsync(script.SeriesId)).State);
        }

        Assert.Equal(1, FiledEntries(series.Manifest.SeriesId));
        Assert.True(NothingLeftOnTheHost());
    }

    [Fact]
    public async Task BrokerRestartMidTransfer_TheApplianceResumes_AndTheSeriesIsFiledOnceThenDeleted()
    {
        var series = await IssuedSeriesAsync(side: 200);
        var envelope = series.Envelope().Length;
        var chunks = TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize).ChunkCount;
        // The appliance's first connection carries about 40% of the series and is then held: the
        // broker has taken no more than that when it restarts, whatever pace the host reads at.
        var first = 0;
        await using var proxy = new CuttingProxy(new IPEndPoint(IPAddress.Loopback, BrokerPort), () => Interlocked.Increment(ref first) == 1 ? envelope * 2 / 5 : null, stall: true);
        await using var appliance = await StartApplianceAsync(proxy.Port, chunksInFlight: 1);
        var receiver = Host<TransferReceiver>();
        var partWay = EmbeddedSuite.WaitFor<TransferAdvanced>(h => receiver.ChunkStored += h, h => receiver.ChunkStored -= h, a => a.Have >= chunks / 5);
        var filed = EmbeddedSuite.WaitFor<FiledSeries>(h => Host<SeriesFilingService>().Filed += h, h => Host<SeriesFilingService>().Filed -= h, f => f.SeriesId == series.Manifest.SeriesId);

        await appliance.AddAsync(series);
        await proxy.FirstStall.WaitAsync(TimeSpan.FromSeconds(30));
        await partWay.WaitAsync(TimeSpan.FromSeconds(30));
        var broker = Host<EmbeddedMqttBroker>();
        await broker.StopAsync(CancellationToken.None);
        await broker.StartAsync(CancellationToken.None);

        try
        {
            await filed.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            // What both sides said, for whoever reads a failure on a loaded CI machine.
            throw new TimeoutException("not filed within 120 s of the broker's restart; the last log lines:\n"
                + string.Join('\n', _logs.Entries.TakeLast(60).Select(e => $"{e.Level} {e.Category}: {e.Message}")));
        }

        await appliance.WaitEmptyAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, FiledEntries(series.Manifest.SeriesId));
        Assert.Contains(_logs.Entries, e => e.Message.Contains($"Transfer of series {series.Manifest.SeriesId} from {DeviceId} resumed with", StringComparison.Ordinal));
        Assert.True(NothingLeftOnTheHost());
    }

    [Fact]
    public async Task FiftyConnectionsCutAtRandomPoints_EverySeriesIsFiledExactlyOnce_AndNothingIsLeftBehind()
    {
        const int cuts = 50;
        const int seriesCount = 12;
        var rng = new Random(20261124);
        var budgets = 0;
        // Each of the first fifty connections is cut after a random number of bytes: inside the
        // TLS handshake, the offer, or (mostly) somewhere among the chunks.
        await using var proxy = new CuttingProxy(new IPEndPoint(IPAddress.Loopback, BrokerPort), () => Interlocked.Increment(ref budgets) <= cuts ? rng.Next(2_000, 20_000) : null);
        await using var appliance = await StartApplianceAsync(proxy.Port, chunksInFlight: 4);
        var series = new List<SealedSeries>();
        for (var i = 0; i < seriesCount; i++)
        {
            series.Add(await IssuedSeriesAsync(side: 100));
        }

        var filedIds = new System.Collections.Concurrent.ConcurrentBag<string>();
        Host<SeriesFilingService>().Filed += (_, f) => filedIds.Add(f.SeriesId);
        foreach (var s in series)
        {
            await appliance.AddAsync(s);
        }

        await appliance.WaitEmptyAsync(TimeSpan.FromMinutes(4));

        Assert.True(proxy.Cuts >= cuts, $"only {proxy.Cuts} connections were cut");
        // Most cuts land among the chunks: the next offer picks up from what the host holds.
        var resumed = _logs.Entries.Count(e => e.Message.Contains("resumed with", StringComparison.Ordinal));
        Assert.True(resumed >= cuts / 2, $"only {resumed} transfers resumed after a cut");
        Assert.Equal(series.Select(s => s.Manifest.SeriesId).Order(), filedIds.Order());
        foreach (var s in series)
        {
            Assert.Equal(1, FiledEntries(s.Manifest.SeriesId));
            var filed = await Host<ISeriesArchive>().FindAsync(s.Manifest.SeriesId, CancellationToken.None);
            Assert.Equal(s.Plain[0], await Host<ISeriesArchive>().ReadFrameAsync(filed!.SeriesId, 0, CancellationToken.None));
        }

        Assert.True(NothingLeftOnTheHost());
    }

    private async Task<ApplianceUnderTest> StartApplianceAsync(int port, int chunksInFlight)
    {
        var folder = Path.Combine(_folder.Path, "appliance");
        DeviceProvisioner.WriteBundle(_bundle with { BrokerPort = port }, Path.Combine(folder, "bundle.json"));
        var appliance = EmbeddedSuite.BuildAppliance(folder, LogLevel.Information, new Dictionary<string, string?>
        {
            ["Uplink:ChunkSize"] = TransferOffer.MinChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Uplink:ChunksInFlight"] = chunksInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Uplink:ReconnectDelayMin"] = "00:00:00.100",
            ["Uplink:ReconnectDelayMax"] = "00:00:01",
            ["Uplink:ProgressTimeout"] = "00:00:03",
            ["Uplink:ReceiptTimeout"] = "00:00:03",
            ["Uplink:PollInterval"] = "00:00:00.500",
        }, l => l.AddProvider(_logs));
        await appliance.StartAsync();
        return new ApplianceUnderTest(appliance);
    }

    /// <summary>The real firmware composition; series are put straight into its store, as a capture would.</summary>
    private sealed class ApplianceUnderTest(IHost appliance) : IAsyncDisposable
    {
        private ISeriesStore Store => appliance.Services.GetRequiredService<ISeriesStore>();

        public async Task AddAsync(SealedSeries series)
        {
            await Store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
            appliance.Services.GetRequiredService<WorkSignal>().Notify();
        }

        public async Task WaitEmptyAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (await Store.CountAsync(CancellationToken.None) > 0)
            {
                await Task.Delay(100, cts.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await appliance.StopAsync();
            appliance.Dispose();
        }
    }
}

public sealed class LiteDbTransferFaultTests : TransferFaultTests;

public sealed class PostgreSqlTransferFaultTests(PostgresFixture postgres) : TransferFaultTests, IClassFixture<PostgresFixture>
{
    protected override async Task<Dictionary<string, string?>> StateSettingsAsync() => new()
    {
        ["Archive:Provider"] = "PostgreSql",
        ["PostgreSql:ConnectionString"] = await postgres.MigratedDatabaseAsync(),
    };
}
