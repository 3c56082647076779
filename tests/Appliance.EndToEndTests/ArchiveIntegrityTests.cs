using System.Security.Cryptography;
using System.Text;
using Appliance.Host.Core;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Archive;
using Appliance.Protocol;
using Appliance.TestFixtures;
using LiteDB;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

/// <summary>
/// The archive's patient link, consent and body site under someone who can write the host's
/// disk (here, with LiteDB's password as well, which is more than moving encrypted blocks
/// about): every edit of a record is detected when it is read, and reported by the verifier.
/// </summary>
public sealed class ArchiveIntegrityTests : IDisposable
{
    private readonly TempFolder _folder = new("archive-integrity");
    private readonly IOptions<HostDataOptions> _options;

    public ArchiveIntegrityTests() => _options = Options.Create(new HostDataOptions { DataFolder = _folder.Combine("host") });

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> Edits() => ["patient index", "record swapped", "record bit flipped", "plain record with teaching consent"];

    [Theory]
    [MemberData(nameof(Edits))]
    public async Task AnEditedSeriesRecord_IsDetectedWhenRead_AndByTheVerifier(string edit)
    {
        await FileAsync("series-a", "PATIENT-A");
        await FileAsync("series-b", "PATIENT-B");

        Tamper(db =>
        {
            var series = db.GetCollection("series");
            var a = series.FindById("series-a");
            var b = series.FindById("series-b");
            switch (edit)
            {
                case "patient index":
                    a["patientId"] = "PATIENT-B"; // series A now shows in patient B's record
                    break;
                case "record swapped":
                    a["sealedRecord"] = b["sealedRecord"];
                    break;
                case "record bit flipped":
                    var bytes = a["sealedRecord"].AsBinary;
                    bytes[bytes.Length / 2] ^= 0x01;
                    a["sealedRecord"] = bytes;
                    break;
                default:
                    a.Remove("sealedRecord");
                    a["record"] = $$"""{"seriesId":"series-a","patientId":"PATIENT-A","consentScope":"DirectCareAndTeaching"}""";
                    break;
            }

            series.Update(a);
        });

        using var keys = new ArchiveKeys(_options);
        using var database = new ArchiveDatabase(keys, _options);
        var archive = new LiteDbSeriesArchive(database);
        await Assert.ThrowsAsync<CryptographicException>(() => archive.FindAsync("series-a", CancellationToken.None));
        Assert.Equal("PATIENT-B", (await archive.FindAsync("series-b", CancellationToken.None))!.PatientId); // the other one is untouched
        var check = await ArchiveVerifier.VerifyAsync(archive, CancellationToken.None);
        Assert.False(check.Intact);
        Assert.Contains(check.Problems, p => p.StartsWith("series series-a:", StringComparison.Ordinal));
        Assert.DoesNotContain(check.Problems, p => p.Contains("series-b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJobRecordMovedUnderAnotherEpisode_IsDetected()
    {
        using (var keys = new ArchiveKeys(_options))
        using (var database = new ArchiveDatabase(keys, _options))
        {
            var jobs = new LiteDbCaptureJobs(database);
            await jobs.AddAsync(new CaptureJobRecord("job-a", "dev-01", "EP-ABCDEFGHJK", "PATIENT-A", "back", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(30)), CancellationToken.None);
            await jobs.AddAsync(new CaptureJobRecord("job-b", "dev-01", "EP-BCDEFGHJKM", "PATIENT-B", "back", ConsentScope.DirectCareAndTeaching, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(30)), CancellationToken.None);
        }

        // Job B's teaching consent put under job A's episode: a series filed for A would take it.
        Tamper(db =>
        {
            var jobs = db.GetCollection("jobs");
            var a = jobs.FindById("job-a");
            a["sealedRecord"] = jobs.FindById("job-b")["sealedRecord"];
            jobs.Update(a);
        });

        using var keys2 = new ArchiveKeys(_options);
        using var database2 = new ArchiveDatabase(keys2, _options);
        var reopened = new LiteDbCaptureJobs(database2);
        await Assert.ThrowsAsync<CryptographicException>(() => reopened.FindByEpisodeAsync("EP-ABCDEFGHJK", CancellationToken.None));
        Assert.Equal("PATIENT-B", (await reopened.FindByEpisodeAsync("EP-BCDEFGHJKM", CancellationToken.None))!.PatientId);
    }

    [Fact]
    public async Task AnArchiveFromBeforeSealing_IsSealedOnceAtStart_AndReadsAsBefore()
    {
        await FileAsync("series-old", "PATIENT-OLD");
        // As the previous version wrote it: the record in clear, and no mark.
        Tamper(db =>
        {
            var series = db.GetCollection("series");
            var doc = series.FindById("series-old");
            using var keys = new ArchiveKeys(_options);
            doc["record"] = Encoding.UTF8.GetString(keys.OpenRecord("series", "series-old", doc["sealedRecord"].AsBinary));
            doc.Remove("sealedRecord");
            series.Update(doc);
            db.GetCollection("meta").DeleteAll();
        });

        using var keys = new ArchiveKeys(_options);
        using (var database = new ArchiveDatabase(keys, _options))
        {
            Assert.Equal("PATIENT-OLD", (await new LiteDbSeriesArchive(database).FindAsync("series-old", CancellationToken.None))!.PatientId);
        }

        Tamper(db => Assert.True(db.GetCollection("series").FindById("series-old")["sealedRecord"].IsBinary));
    }

    private async Task FileAsync(string seriesId, string patientId)
    {
        using var keys = new ArchiveKeys(_options);
        using var database = new ArchiveDatabase(keys, _options);
        var archive = new LiteDbSeriesArchive(database);
        var pixels = RandomNumberGenerator.GetBytes(4 * 4 * 3);
        var now = DateTimeOffset.UtcNow;
        var series = new FiledSeries(seriesId, "dev-01", $"job-{seriesId}", "EP-ABCDEFGHJK", patientId, "back", ConsentScope.DirectCare, now, now, "0.1.0", "uncalibrated", 0,
            new QualityReport(true, [], 120, 0, 1, 0), new CameraSettings(4, 4, TimeSpan.FromMilliseconds(8), 1, 1.8, 1.5, 8),
            [new FiledFrame(0, LightingMode.CrossPolarised, 4, 4, "rgb24", SeriesSealing.Sha256Hex(pixels), string.Empty)]);
        await archive.FileAsync(series, (_, _) => Task.FromResult(pixels), CancellationToken.None);
    }

    /// <summary>Opens the archive's database as an attacker with its password would, and changes it.</summary>
    private void Tamper(Action<LiteDatabase> change)
    {
        using var keys = new ArchiveKeys(_options);
        using var db = new LiteDatabase(new ConnectionString
        {
            Filename = Path.Combine(_options.Value.Resolve("archive"), "archive.db"),
            Password = keys.DatabasePassword,
            Connection = ConnectionType.Shared,
        });
        change(db);
    }
}
