using System.Security.Cryptography;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Archive;
using Appliance.Host.PostgreSql;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>The host archive's three stores as one implementation provides them over one location.</summary>
public sealed record HostArchiveStores(ISeriesArchive Series, ICaptureJobRepository Jobs, ICalibrationProfiles Profiles, IDisposable Lifetime);

/// <summary>
/// What every host archive promises filing, the pages and the exports: a series filed is found by
/// id, job and patient (one lesion or all, newest capture first) and its frames read back as they
/// were, each buffer cleared once stored; a frame that cannot be had leaves no series; consent is
/// withdrawn once; a job's timeline refuses duplicates and other devices' events; a profile is
/// kept as first sent and never lent to another device; all of it still there when reopened.
/// Two instances open at once (two host processes sharing the archive) see each other's filings,
/// keep a status delivered to both once, keep the first withdrawal, and leave a series filed by
/// both at once whole. Run against the LiteDB archive (the embedded default), PostgreSQL and the
/// in-memory fake the unit tests use.
/// </summary>
public abstract class HostArchiveContract : IDisposable
{
    protected static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-02T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly List<IDisposable> _open = [];

    protected TempFolder Folder { get; } = new("archive-contract");

    /// <summary>Opens the stores over <see cref="Folder"/>; called again after the first is disposed, to reopen.</summary>
    protected abstract HostArchiveStores OpenStores();

    protected HostArchiveStores Open()
    {
        var stores = OpenStores();
        _open.Add(stores.Lifetime);
        return stores;
    }

    public void Dispose()
    {
        _open.ForEach(o => o.Dispose());
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static FiledSeries Series(string seriesId, string patientId, DateTimeOffset capturedAt, string? lesion, byte[][] frames) =>
        new(seriesId, "dev-01", $"job-{seriesId}", "EP-ABCDEFGHJK", patientId, "back", ConsentScope.DirectCare, capturedAt, Now, "0.1.0", "uncalibrated", 0,
            new QualityReport(true, [], 120, 0, 1, 0), new CameraSettings(4, 4, TimeSpan.FromMilliseconds(8), 1, 1.8, 1.5, 8),
            [.. frames.Select((f, i) => new FiledFrame(i, i == 0 ? LightingMode.CrossPolarised : LightingMode.NonPolarised, 4, 4, "rgb24", SeriesSealing.Sha256Hex(f), string.Empty))],
            LesionLabel: lesion);

    protected static byte[][] Frames() => [RandomNumberGenerator.GetBytes(48), RandomNumberGenerator.GetBytes(48)];

    private static async Task<FiledSeries> FileAsync(ISeriesArchive archive, FiledSeries series, byte[][] frames)
    {
        var handed = frames.Select(f => f.ToArray()).ToArray();
        var filed = (await archive.FileAsync(series, (i, _) => Task.FromResult(handed[i]), CancellationToken.None)).Series;
        Assert.All(handed, h => Assert.All(h, b => Assert.Equal(0, b))); // plaintext not left in the buffers handed over
        return filed;
    }

    [Fact]
    public async Task AFiledSeries_IsFoundByIdJobAndPatient_AndItsFramesReadBackAsTheyWere()
    {
        var archive = Open().Series;
        var (a, b, c) = (Frames(), Frames(), Frames());
        await FileAsync(archive, Series("s-old", "PATIENT-A", Now.AddDays(-30), "L1", a), a);
        await FileAsync(archive, Series("s-new", "PATIENT-A", Now, "L1", b), b);
        await FileAsync(archive, Series("s-other-lesion", "PATIENT-A", Now.AddDays(-1), "L2", c), c);

        Assert.Equal("PATIENT-A", (await archive.FindAsync("s-new", CancellationToken.None))!.PatientId);
        Assert.Equal("s-old", (await archive.FindByJobAsync("job-s-old", CancellationToken.None))!.SeriesId);
        Assert.Null(await archive.FindAsync("never-filed", CancellationToken.None));
        Assert.Equal(["s-new", "s-other-lesion", "s-old"], (await archive.ListForPatientAsync("PATIENT-A", null, CancellationToken.None)).Select(s => s.SeriesId));
        Assert.Equal(["s-new", "s-old"], (await archive.ListForPatientAsync("PATIENT-A", "L1", CancellationToken.None)).Select(s => s.SeriesId));
        Assert.Empty(await archive.ListForPatientAsync("PATIENT-B", null, CancellationToken.None));
        Assert.Equal(3, (await archive.ListRecentAsync(10, CancellationToken.None)).Count);
        Assert.Equal(["s-new", "s-old", "s-other-lesion"], (await archive.ListSeriesIdsAsync(CancellationToken.None)).Order());
        Assert.Equal(b[1], await archive.ReadFrameAsync("s-new", 1, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => archive.ReadFrameAsync("never-filed", 0, CancellationToken.None));
    }

    [Fact]
    public async Task AFrameThatCannotBeHad_LeavesNoSeries()
    {
        var archive = Open().Series;
        var frames = Frames();

        await Assert.ThrowsAsync<IOException>(() => archive.FileAsync(
            Series("s-broken", "PATIENT-A", Now, null, frames),
            (i, _) => i == 0 ? Task.FromResult(frames[0]) : Task.FromException<byte[]>(new IOException("transfer file truncated")),
            CancellationToken.None));

        Assert.Null(await archive.FindAsync("s-broken", CancellationToken.None));
        Assert.Empty(await archive.ListSeriesIdsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReleasedFrames_AreNoLongerReadHere_ButTheRecordStays()
    {
        var archive = Open().Series;
        var frames = Frames();
        await FileAsync(archive, Series("s-1", "PATIENT-A", Now, "L1", frames), frames);

        Assert.False(await archive.ReleaseFramesAsync("never-filed", CancellationToken.None));
        Assert.True(await archive.ReleaseFramesAsync("s-1", CancellationToken.None));
        Assert.True(await archive.ReleaseFramesAsync("s-1", CancellationToken.None)); // again: nothing left to remove, still fine

        await Assert.ThrowsAsync<FramesReleasedException>(() => archive.ReadFrameAsync("s-1", 0, CancellationToken.None));
        Assert.Equal(frames.Length, (await Open().Series.FindAsync("s-1", CancellationToken.None))!.Frames.Count);
        Assert.Equal("s-1", Assert.Single(await archive.ListForPatientAsync("PATIENT-A", "L1", CancellationToken.None)).SeriesId);
    }

    [Fact]
    public async Task ARecordFiledWithoutItsFrames_ReadsAsHeldByThePacs_AndTheFirstFilingStands()
    {
        var archive = Open().Series;
        var frames = Frames();
        var series = Series("s-pacs", "PATIENT-A", Now, "L1", frames);

        var filing = await archive.FileRecordAsync(series, CancellationToken.None);
        var again = await archive.FileAsync(series, (i, _) => Task.FromResult(frames[i].ToArray()), CancellationToken.None);
        var recordAgain = await Open().Series.FileRecordAsync(series with { FirmwareVersion = "9.9.9" }, CancellationToken.None);

        Assert.False(filing.FiledBefore);
        Assert.Equal(series.Frames.Select(f => f.Sha256), filing.Series.Frames.Select(f => f.Sha256));
        Assert.True(again.FiledBefore);
        Assert.True(recordAgain.FiledBefore);
        Assert.Equal("0.1.0", recordAgain.Series.FirmwareVersion);
        await Assert.ThrowsAsync<FramesReleasedException>(() => archive.ReadFrameAsync("s-pacs", 0, CancellationToken.None));
        await Assert.ThrowsAsync<FramesReleasedException>(() => Open().Series.ReadFrameAsync("s-pacs", 1, CancellationToken.None));
        Assert.Equal("s-pacs", Assert.Single(await archive.ListForPatientAsync("PATIENT-A", "L1", CancellationToken.None)).SeriesId);
    }

    [Fact]
    public async Task ALesionsBodyMapMark_IsKeptWithItsSeries_AndThePatientsMapShowsEachLesionsLatestPlacing()
    {
        var archive = Open().Series;
        var (a, b, c, d) = (Frames(), Frames(), Frames(), Frames());
        await FileAsync(archive, Series("s-1", "PATIENT-A", Now.AddDays(-60), "L1", a) with { Mark = new BodyMapMark(BodyView.Back, 0.4, 0.3) }, a);
        await FileAsync(archive, Series("s-2", "PATIENT-A", Now.AddDays(-30), "L1", b) with { Mark = new BodyMapMark(BodyView.Back, 0.42, 0.31) }, b);
        // The latest visit did not place it again: the latest placing stands.
        await FileAsync(archive, Series("s-3", "PATIENT-A", Now, "L1", c), c);
        await FileAsync(archive, Series("s-4", "PATIENT-A", Now.AddDays(-5), "L2", d) with { Mark = new BodyMapMark(BodyView.Front, 0.7, 0.8) }, d);

        var lesions = await new PatientLesionMap(Open().Series).ListAsync("PATIENT-A", CancellationToken.None);

        Assert.Equal(new BodyMapMark(BodyView.Back, 0.42, 0.31), (await Open().Series.FindAsync("s-2", CancellationToken.None))!.Mark);
        Assert.Equal(["L1", "L2"], lesions.Select(l => l.LesionLabel));
        Assert.Equal((new BodyMapMark(BodyView.Back, 0.42, 0.31), 3, Now, "s-3"), (lesions[0].Mark, lesions[0].Visits, lesions[0].LastVisit, lesions[0].LatestSeriesId));
        Assert.Equal((new BodyMapMark(BodyView.Front, 0.7, 0.8), 1), (lesions[1].Mark, lesions[1].Visits));
        Assert.Empty(await new PatientLesionMap(archive).ListAsync("PATIENT-B", CancellationToken.None));
    }

    [Fact]
    public async Task AnOutlineCorrectedByHand_IsKeptWithItsSeries_TheLatestStands_AndCanBeUndone()
    {
        var archive = Open().Series;
        var frames = Frames();
        await FileAsync(archive, Series("s-1", "PATIENT-A", Now, "L1", frames), frames);
        var first = new Appliance.Host.Core.Imaging.LesionOutline([0.1, 0.9, 0.5], [0.1, 0.1, 0.9], "dr.a", Now);
        var second = first with { X = [0.2, 0.8, 0.5], CorrectedBy = "dr.b" };

        Assert.False(await archive.RecordOutlineAsync("never-filed", first, CancellationToken.None));
        Assert.True(await archive.RecordOutlineAsync("s-1", first, CancellationToken.None));
        Assert.True(await Open().Series.RecordOutlineAsync("s-1", second, CancellationToken.None));
        var kept = (await Open().Series.FindAsync("s-1", CancellationToken.None))!.Outline!;
        Assert.Equal("dr.b", kept.CorrectedBy);
        Assert.Equal([0.2, 0.8, 0.5], kept.X);
        Assert.Equal([0.1, 0.1, 0.9], kept.Y);
        Assert.True(await archive.RecordOutlineAsync("s-1", null, CancellationToken.None));
        Assert.Null((await Open().Series.FindAsync("s-1", CancellationToken.None))!.Outline);
    }

    [Fact]
    public async Task AnOverviewsReview_IsKeptWithItsSeries_AndTheLatestStands()
    {
        var archive = Open().Series;
        var frames = Frames();
        await FileAsync(archive, Series("s-1", "PATIENT-A", Now, "L1", frames), frames);
        var identifying = new Appliance.Host.Core.Filing.OverviewReview(true, "a tattoo beside it is the landmark", "nurse.a", Now);
        var clear = new Appliance.Host.Core.Filing.OverviewReview(false, null, "nurse.b", Now.AddMinutes(1));

        Assert.False(await archive.RecordOverviewReviewAsync("never-filed", clear, CancellationToken.None));
        Assert.True(await archive.RecordOverviewReviewAsync("s-1", identifying, CancellationToken.None));
        Assert.Equal(identifying, (await Open().Series.FindAsync("s-1", CancellationToken.None))!.OverviewReview);
        Assert.True(await Open().Series.RecordOverviewReviewAsync("s-1", clear, CancellationToken.None));
        Assert.Equal(clear, (await Open().Series.FindAsync("s-1", CancellationToken.None))!.OverviewReview);
    }

    [Fact]
    public async Task ConsentIsWithdrawnOnce_AndOnlyFromAFiledSeries()
    {
        var archive = Open().Series;
        var frames = Frames();
        await FileAsync(archive, Series("s-1", "PATIENT-A", Now, null, frames), frames);

        Assert.False(await archive.MarkConsentWithdrawnAsync("never-filed", new ConsentWithdrawal(Now, "dr.a"), CancellationToken.None));
        Assert.True(await archive.MarkConsentWithdrawnAsync("s-1", new ConsentWithdrawal(Now, "dr.a", "first"), CancellationToken.None));
        Assert.True(await archive.MarkConsentWithdrawnAsync("s-1", new ConsentWithdrawal(Now.AddDays(1), "dr.b", "second"), CancellationToken.None));

        var withdrawn = (await archive.FindAsync("s-1", CancellationToken.None))!.ConsentWithdrawn!;
        Assert.Equal(("dr.a", "first"), (withdrawn.RecordedBy, withdrawn.Note));
    }

    private static CaptureJobRecord Job(string jobId, string episode, DateTimeOffset issuedAt) =>
        new(jobId, "dev-01", episode, "PATIENT-A", "back", ConsentScope.DirectCare, issuedAt, issuedAt.AddMinutes(30));

    [Fact]
    public async Task JobsAreFoundByAStateInTheirTimeline_OfOneDeviceOrOfAll()
    {
        var jobs = Open().Jobs;
        await jobs.AddAsync(Job("job-1", "EP-ABCDEFGHJ1", Now.AddMinutes(2)), CancellationToken.None);
        await jobs.AddAsync(Job("job-2", "EP-ABCDEFGHJ2", Now.AddMinutes(1)), CancellationToken.None);
        await jobs.AddAsync(Job("job-3", "EP-ABCDEFGHJ3", Now) with { DeviceId = "dev-02" }, CancellationToken.None);
        await jobs.AddAsync(Job("job-4", "EP-ABCDEFGHJ4", Now), CancellationToken.None);
        foreach (var id in (string[])["job-1", "job-2", "job-3"])
        {
            await jobs.AppendJobEventAsync(id, new JobEvent(Now, "accepted", SeriesId: $"s-{id}"), CancellationToken.None);
        }

        await jobs.AppendJobEventAsync("job-4", new JobEvent(Now, "armed"), CancellationToken.None);

        Assert.Equal(["job-2", "job-1"], (await jobs.ListJobsWithEventAsync("accepted", "dev-01", CancellationToken.None)).Select(j => j.JobId));
        Assert.Equal(["job-3", "job-2", "job-1"], (await Open().Jobs.ListJobsWithEventAsync("accepted", null, CancellationToken.None)).Select(j => j.JobId));
        Assert.Empty(await jobs.ListJobsWithEventAsync("lost-in-wipe", null, CancellationToken.None));
        Assert.Equal("PATIENT-A", Assert.Single(await jobs.ListJobsWithEventAsync("armed", "dev-01", CancellationToken.None)).PatientId);
        Assert.Equal(["job-2", "job-1"], (await jobs.ListJobsIssuedSinceAsync(Now.AddMinutes(1), CancellationToken.None)).Select(j => j.JobId));
        Assert.Equal(4, (await Open().Jobs.ListJobsIssuedSinceAsync(Now, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task AJobsTimeline_KeepsItsEventsInOrder_AndRefusesDuplicatesAndOtherDevices()
    {
        var jobs = Open().Jobs;
        await jobs.AddAsync(Job("job-1", "EP-ABCDEFGHJK", Now.AddMinutes(-5)), CancellationToken.None);
        await jobs.AddAsync(Job("job-2", "EP-BCDEFGHJKM", Now), CancellationToken.None);

        Assert.Equal("job-1", (await jobs.FindByEpisodeAsync("EP-ABCDEFGHJK", CancellationToken.None))!.JobId);
        Assert.Equal("EP-BCDEFGHJKM", (await jobs.FindJobAsync("job-2", CancellationToken.None))!.EpisodeCode);
        Assert.Equal(["job-2", "job-1"], (await jobs.ListRecentJobsAsync(10, CancellationToken.None)).Select(j => j.JobId));

        var armed = new JobEvent(Now, "armed", ReportedAt: Now);
        Assert.Equal(JobEventOutcome.Appended, await jobs.AppendJobEventAsync("job-1", new JobEvent(Now, "sent"), CancellationToken.None));
        Assert.Equal(JobEventOutcome.Appended, await jobs.AppendJobEventAsync("job-1", armed, CancellationToken.None, "dev-01"));
        Assert.Equal(JobEventOutcome.Duplicate, await jobs.AppendJobEventAsync("job-1", armed, CancellationToken.None, "dev-01"));
        Assert.Equal(JobEventOutcome.OtherDevicesJob, await jobs.AppendJobEventAsync("job-1", armed with { ReportedAt = Now.AddSeconds(1) }, CancellationToken.None, "dev-02"));
        Assert.Equal(JobEventOutcome.NoSuchJob, await jobs.AppendJobEventAsync("job-9", armed, CancellationToken.None));
        Assert.Equal(["sent", "armed"], (await jobs.ListJobEventsAsync("job-1", CancellationToken.None)).Select(e => e.State));
        Assert.Empty(await jobs.ListJobEventsAsync("job-9", CancellationToken.None));
    }

    [Fact]
    public async Task AProfile_IsKeptAsFirstSent_AndNeverLentToAnotherDevice()
    {
        var profiles = Open().Profiles;
        var first = FakeCalibrationStore.Valid("dev-01", TimeSpan.FromDays(20));
        var older = first with { ProfileId = "dev-01-older", CreatedAt = first.CreatedAt.AddDays(-30) };

        Assert.Equal(ProfileAdded.Added, await profiles.AddProfileAsync(first, CancellationToken.None));
        Assert.Equal(ProfileAdded.Added, await profiles.AddProfileAsync(older, CancellationToken.None));
        Assert.Equal(ProfileAdded.AlreadyKept, await profiles.AddProfileAsync(first with { TargetName = "changed" }, CancellationToken.None));
        Assert.Equal(ProfileAdded.IdTakenByAnotherDevice, await profiles.AddProfileAsync(first with { DeviceId = "dev-02" }, CancellationToken.None));

        Assert.Equal(first.TargetName, (await profiles.FindProfileAsync("dev-01", first.ProfileId, CancellationToken.None))!.TargetName);
        Assert.Null(await profiles.FindProfileAsync("dev-02", first.ProfileId, CancellationToken.None));
        Assert.Equal([first.ProfileId, older.ProfileId], (await profiles.ListProfilesAsync("dev-01", CancellationToken.None)).Select(p => p.ProfileId));
        Assert.Empty(await profiles.ListProfilesAsync("dev-02", CancellationToken.None));
    }

    [Fact]
    public async Task TwoInstancesAtOnce_SeeEachOthersFilings_AndKeepOneOfEverything()
    {
        var (one, two) = (Open(), Open());
        var frames = Frames();
        await FileAsync(one.Series, Series("s-1", "PATIENT-A", Now, "L1", frames), frames);
        Assert.Equal(frames[1], await two.Series.ReadFrameAsync("s-1", 1, CancellationToken.None));
        Assert.Equal("s-1", Assert.Single(await two.Series.ListForPatientAsync("PATIENT-A", "L1", CancellationToken.None)).SeriesId);

        // The same series filed by both at once (an offer retried onto the other instance): one whole series.
        var twice = Frames();
        var filings = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            (i % 2 == 0 ? one : two).Series.FileAsync(Series("s-2", "PATIENT-A", Now, null, twice), (f, _) => Task.FromResult(twice[f].ToArray()), CancellationToken.None))));
        Assert.Single(filings, f => !f.FiledBefore);
        Assert.All(filings, f => Assert.Equal(filings.Single(first => !first.FiledBefore).Series.Frames, f.Series.Frames));
        Assert.Equal(twice[0], await one.Series.ReadFrameAsync("s-2", 0, CancellationToken.None));
        Assert.Equal(twice[1], await two.Series.ReadFrameAsync("s-2", 1, CancellationToken.None));
        Assert.Equal(["s-1", "s-2"], (await two.Series.ListSeriesIdsAsync(CancellationToken.None)).Order(StringComparer.Ordinal));

        // Each status delivered to both instances at once is kept once.
        await one.Jobs.AddAsync(Job("job-1", "EP-ABCDEFGHJK", Now), CancellationToken.None);
        var statuses = Enumerable.Range(0, 20).Select(i => new JobEvent(Now, "armed", ReportedAt: Now.AddSeconds(i))).ToList();
        var outcomes = await Task.WhenAll(statuses.SelectMany(e => new[] { one, two }.Select(instance =>
            Task.Run(() => instance.Jobs.AppendJobEventAsync("job-1", e, CancellationToken.None, "dev-01")))));
        Assert.Equal(20, outcomes.Count(o => o == JobEventOutcome.Appended));
        Assert.Equal(20, (await one.Jobs.ListJobEventsAsync("job-1", CancellationToken.None)).Count);

        // Withdrawals recorded on both at once: one stands, the same on both.
        var withdrawn = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => (i % 2 == 0 ? one : two).Series.MarkConsentWithdrawnAsync("s-1", new ConsentWithdrawal(Now.AddMinutes(i), $"dr.{i}"), CancellationToken.None))));
        Assert.All(withdrawn, Assert.True);
        var stood = (await one.Series.FindAsync("s-1", CancellationToken.None))!.ConsentWithdrawn!;
        Assert.Equal(stood, (await two.Series.FindAsync("s-1", CancellationToken.None))!.ConsentWithdrawn);
        Assert.True(await two.Series.MarkConsentWithdrawnAsync("s-1", new ConsentWithdrawal(Now.AddDays(1), "dr.late"), CancellationToken.None));
        Assert.Equal(stood, (await one.Series.FindAsync("s-1", CancellationToken.None))!.ConsentWithdrawn);
    }

    [Fact]
    public async Task EverythingIsStillThere_WhenReopened()
    {
        var frames = Frames();
        var profile = FakeCalibrationStore.Valid("dev-01", TimeSpan.FromDays(20));
        var first = Open();
        await FileAsync(first.Series, Series("s-1", "PATIENT-A", Now, null, frames), frames);
        await first.Jobs.AddAsync(Job("job-1", "EP-ABCDEFGHJK", Now), CancellationToken.None);
        await first.Jobs.AppendJobEventAsync("job-1", new JobEvent(Now, "filed", SeriesId: "s-1"), CancellationToken.None);
        await first.Profiles.AddProfileAsync(profile, CancellationToken.None);
        first.Lifetime.Dispose();

        var reopened = Open();
        Assert.Equal(frames[0], await reopened.Series.ReadFrameAsync("s-1", 0, CancellationToken.None));
        Assert.Equal("s-1", Assert.Single(await reopened.Jobs.ListJobEventsAsync("job-1", CancellationToken.None)).SeriesId);
        Assert.NotNull(await reopened.Profiles.FindProfileAsync("dev-01", profile.ProfileId, CancellationToken.None));
    }
}

public sealed class LiteDbHostArchiveContract : HostArchiveContract
{
    protected override HostArchiveStores OpenStores()
    {
        var options = Options.Create(new HostDataOptions { DataFolder = Folder.Combine("host") });
        var keys = new ArchiveKeys(options);
        var database = new ArchiveDatabase(keys, options);
        return new HostArchiveStores(new LiteDbSeriesArchive(database), new LiteDbCaptureJobs(database), new LiteDbCalibrationProfiles(database), new Disposables(database, keys));
    }
}

public sealed class PostgreSqlHostArchiveContract(PostgresFixture postgres) : HostArchiveContract, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected override HostArchiveStores OpenStores()
    {
        // Each instance its own pool and its own copy of the keys, from the one secrets folder.
        var keys = new ArchiveKeys(Options.Create(new HostDataOptions { DataFolder = Folder.Combine("secrets") }));
        var source = NpgsqlDataSource.Create(_connectionString);
        return new HostArchiveStores(new PostgreSqlSeriesArchive(source, keys), new PostgreSqlCaptureJobs(source, keys), new PostgreSqlCalibrationProfiles(source), new Disposables(source, keys));
    }

    [Fact]
    public async Task TheDatabaseFiles_HoldNoPatientIdentifierConsentOrPixel()
    {
        var stores = Open();
        var pixels = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("PIXELROW-7Q3Z", 40)));
        var series = new FiledSeries("s-scan", "dev-01", "job-scan", "EP-SCANSCANSC", "PATIENT-ZX81QWERTY", "left-scapula-marker", ConsentScope.DirectCare,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "0.1.0", "uncalibrated", 0, new QualityReport(true, [], 120, 0, 1, 0),
            new CameraSettings(4, 4, TimeSpan.FromMilliseconds(8), 1, 1.8, 1.5, 8),
            [new FiledFrame(0, LightingMode.CrossPolarised, 4, 4, "rgb24", SeriesSealing.Sha256Hex(pixels), string.Empty)], LesionLabel: "naevus-marker-L7");
        await stores.Series.FileAsync(series, (_, _) => Task.FromResult(pixels.ToArray()), CancellationToken.None);
        await stores.Jobs.AddAsync(new CaptureJobRecord("job-scan", "dev-01", "EP-SCANSCANSC", "PATIENT-ZX81QWERTY", "left-scapula-marker", ConsentScope.DirectCare, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await using (var checkpoint = NpgsqlDataSource.Create(_connectionString))
        {
            await checkpoint.CreateCommand("CHECKPOINT").ExecuteNonQueryAsync(); // the tables' pages on disk, not only the write-ahead log
        }

        List<byte[]> markers = [.. ((string[])["PATIENT-ZX81QWERTY", "left-scapula-marker", "naevus-marker-L7", "PIXELROW-7Q3Z"]).Select(System.Text.Encoding.ASCII.GetBytes)];
        // Control: the markers are found where they are in the clear.
        Assert.True(PlaintextScan.Found([.. pixels], markers));
        Assert.False(PlaintextScan.AnyFound(postgres.Server.DataFolder, markers));
        Assert.Equal("PATIENT-ZX81QWERTY", (await stores.Series.FindAsync("s-scan", CancellationToken.None))!.PatientId);
    }

    [Fact]
    public async Task AFrameRowRemovedOrAPatientTagMoved_IsReadAsAnAlteration()
    {
        var stores = Open();
        var (a, b) = (Frames(), Frames());
        await stores.Series.FileAsync(Series("s-a", "PATIENT-A", Now, null, a), (i, _) => Task.FromResult(a[i].ToArray()), CancellationToken.None);
        await stores.Series.FileAsync(Series("s-b", "PATIENT-B", Now, null, b), (i, _) => Task.FromResult(b[i].ToArray()), CancellationToken.None);
        await using var admin = NpgsqlDataSource.Create(_connectionString);
        await admin.CreateCommand("DELETE FROM series_frames WHERE series_id = 's-a' AND frame_index = 1").ExecuteNonQueryAsync();
        // Someone with the database but not the keys moves B's series to patient A.
        await admin.CreateCommand("UPDATE series SET patient_tag = (SELECT patient_tag FROM series WHERE series_id = 's-a') WHERE series_id = 's-b'").ExecuteNonQueryAsync();

        await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => stores.Series.ReadFrameAsync("s-a", 1, CancellationToken.None));
        Assert.Equal(a[0], await stores.Series.ReadFrameAsync("s-a", 0, CancellationToken.None));
        await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => stores.Series.ListForPatientAsync("PATIENT-A", null, CancellationToken.None));
    }
}

/// <summary>What one opened set of stores holds, released once.</summary>
internal sealed class Disposables(params IDisposable[] items) : IDisposable
{
    private bool _disposed;

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Array.ForEach(items, i => i.Dispose());
        }
    }
}

public sealed class FakeHostArchiveContract : HostArchiveContract
{
    // In memory: "reopening" finds the same stores, as a restarted process finds its database.
    private readonly HostArchiveStores _stores = new(new FakeSeriesArchive(), new FakeCaptureJobs(), new FakeCalibrationProfiles(), new NothingToRelease());

    protected override HostArchiveStores OpenStores() => _stores;

    private sealed class NothingToRelease : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
