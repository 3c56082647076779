using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Pacs;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// Images:Store = DicomWeb with a real PACS (Orthanc and its DICOMweb plugin): a series is in the
/// PACS before its receipt goes and no frame of it is kept by the host, while the pages read it
/// back; a PACS that is away files nothing (the appliance keeps its copy and offers it again); one
/// that refuses refuses the series with its reason; and without a PACS the host will not start.
/// One suite, run with the records in LiteDB and in PostgreSQL.
/// </summary>
public abstract class DicomWebImageStoreTests : IAsyncLifetime
{
    private readonly PacsHostRig _rig = new("dicomweb-store");
    private Dictionary<string, string?> _state = [];

    protected string DataFolder => _rig.DataFolder;

    /// <summary>Where the host keeps its records (none: LiteDB in the data folder).</summary>
    protected virtual Task<Dictionary<string, string?>> StateSettingsAsync() => Task.FromResult(new Dictionary<string, string?>());

    /// <summary>How many frames the host's own store holds, of any series.</summary>
    protected abstract Task<int> FramesHeldHereAsync();

    public async Task InitializeAsync() => _state = await StateSettingsAsync();

    public Task DisposeAsync() => _rig.DisposeAsync().AsTask();

    private T Host<T>() where T : notnull => _rig.Service<T>();

    private Task StartHostAsync(Uri? pacs) =>
        _rig.StartAsync(pacs, new Dictionary<string, string?>(_state) { ["Images:Store"] = "DicomWeb" });

    private async Task<int> InstancesInThePacsAsync() => (await _rig.OrthancAsync("instances")).GetArrayLength();

    private int AuditCount(string kind, string seriesId) => Host<IAuditTrail>().ReadAll().Count(e => e.Kind == kind && e.Subject == seriesId);

    [Fact]
    public async Task AFiledSeries_IsInThePacsBeforeItsReceipt_AndNoFrameOfItIsKeptHere()
    {
        await _rig.Pacs.StartAgainAsync();
        await StartHostAsync(_rig.Pacs.DicomWebUrl);
        var series = await _rig.IssueSeriesAsync("STORE-PATIENT-1");
        var id = series.Manifest.SeriesId;

        Assert.Equal(TransferState.Filed, (await _rig.UploadAsync(series)).State);

        // By the time the receipt came, the PACS held every frame and the host none.
        Assert.Equal(series.Plain.Length, await InstancesInThePacsAsync());
        Assert.Equal(0, await FramesHeldHereAsync());
        var delivery = await Host<IPacsQueue>().FindAsync(id, CancellationToken.None);
        Assert.Equal((PacsDeliveryState.Sent, series.Plain.Length), (delivery!.State, delivery.Instances));
        Assert.Equal((1, 1), (AuditCount(AuditKinds.SeriesFiled, id), AuditCount(AuditKinds.SeriesSentToPacs, id)));

        // The pages read every frame back from the PACS, as the appliance captured it.
        for (var i = 0; i < series.Plain.Length; i++)
        {
            Assert.Equal(series.Plain[i], await Host<ISeriesArchive>().ReadFrameAsync(id, i, CancellationToken.None));
        }

        Host<UserService>().Add("derm.s", UserRoles.Dermatologist, "a long passphrase for tests", "admin");
        using var pages = await Appliance.EndToEndKit.HostPages.SignInAsync(_rig.Running, "derm.s", "a long passphrase for tests");
        Assert.Matches($"id=\"pacs\"[^>]*>sent [0-9-]+ [0-9:]+ UTC, {series.Plain.Length} instances<", await pages.GetStringAsync(new Uri($"/Series/View/{id}", UriKind.Relative)));
        using var image = await pages.GetAsync(new Uri($"/Series/View/{id}?handler=Frame&index=1&calibrated=false", UriKind.Relative));
        image.EnsureSuccessStatusCode();
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WhileThePacsIsAway_NothingIsFiled_AndTheSeriesIsFiledOnceWhenItIsBack()
    {
        await StartHostAsync(_rig.Pacs.DicomWebUrl); // the PACS is not running
        var series = await _rig.IssueSeriesAsync("STORE-PATIENT-2");
        var id = series.Manifest.SeriesId;

        await Assert.ThrowsAsync<HttpRequestException>(() => Host<SeriesFilingService>().FileAsync(PacsHostRig.DeviceId, series.Envelope(), CancellationToken.None));

        Assert.Null(await Host<ISeriesArchive>().FindAsync(id, CancellationToken.None));
        Assert.Equal(0, await FramesHeldHereAsync());
        Assert.Equal(0, AuditCount(AuditKinds.SeriesFiled, id));

        // The appliance, with no receipt, offers it again once the PACS is back.
        await _rig.Pacs.StartAgainAsync();
        Assert.Equal(TransferState.Filed, (await _rig.UploadAsync(series)).State);
        Assert.Equal(series.Plain.Length, await InstancesInThePacsAsync());
        Assert.Equal(series.Plain[0], await Host<ISeriesArchive>().ReadFrameAsync(id, 0, CancellationToken.None));
    }

    [Fact]
    public async Task APacsThatRefuses_RefusesTheSeries_WithItsReason()
    {
        // The PACS wants credentials the host was not given.
        await _rig.Pacs.StartAgainAsync(requireCredentials: true);
        await StartHostAsync(_rig.Pacs.DicomWebUrl);
        var series = await _rig.IssueSeriesAsync("STORE-PATIENT-3");

        var answer = await _rig.UploadAsync(series);

        Assert.Equal(TransferState.Rejected, answer.State);
        Assert.Contains("the PACS refused it", answer.Reason, StringComparison.Ordinal);
        Assert.Contains("401", answer.Reason, StringComparison.Ordinal);
        Assert.Null(await Host<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None));
        Assert.Equal(1, AuditCount(AuditKinds.SeriesRejected, series.Manifest.SeriesId));
    }

    [Fact]
    public async Task WithoutAPacs_TheHostWillNotStart_AndSaysWhatToSet()
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(pacs: null));

        Assert.Contains("Pacs:DicomWebUrl", refused.Message, StringComparison.Ordinal);
    }
}

public sealed class LiteDbDicomWebImageStoreTests : DicomWebImageStoreTests
{
    protected override Task<int> FramesHeldHereAsync() =>
        Task.FromResult(Directory.Exists(DataFolder) ? Directory.EnumerateFiles(DataFolder, "*.frame", SearchOption.AllDirectories).Count() : 0);
}

public sealed class PostgreSqlDicomWebImageStoreTests(PostgresFixture postgres) : DicomWebImageStoreTests, IClassFixture<PostgresFixture>
{
    private string _database = string.Empty;

    protected override async Task<Dictionary<string, string?>> StateSettingsAsync()
    {
        _database = await postgres.MigratedDatabaseAsync();
        return new() { ["Archive:Provider"] = "PostgreSql", ["PostgreSql:ConnectionString"] = _database };
    }

    protected override async Task<int> FramesHeldHereAsync()
    {
        await using var source = NpgsqlDataSource.Create(_database);
        await using var count = source.CreateCommand("SELECT count(*) FROM series_frames");
        return (int)(long)(await count.ExecuteScalarAsync())!;
    }
}
