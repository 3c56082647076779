using Appliance.Host.Core.Imaging;
using System.Security.Cryptography;
using Appliance.Host.Core;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Infrastructure.Archive;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// The filed series in <c>series</c> and their frames in <c>series_frames</c>, shared by every
/// host instance: each record sealed under the archive key with its id bound in (as the LiteDB
/// archive seals it), each frame under its series' own key, wrapped beside the record. A series
/// is filed in one transaction, frames first and the record last, so it is whole or absent; two
/// instances filing the same series are serialised by its keys, and the first to commit stands. Found by
/// patient and lesion through keyed tags (<see cref="ArchiveKeys.LookupTag"/>): the database
/// holds no patient identifier, and a tag that no longer matches its sealed record is an alteration.
/// </summary>
public sealed class PostgreSqlSeriesArchive(NpgsqlDataSource database, ArchiveKeys keys) : ISeriesArchive
{
    private const string SeriesKind = ArchiveDatabase.SeriesKind;
    private const string Columns = "series_id, job_id, device_id, patient_tag, lesion_tag, sealed_record";

    public string Location { get; } = Describe(database.ConnectionString);

    public async Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM series WHERE series_id = $1", cancellationToken, seriesId)).SingleOrDefault();

    public async Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(frames);
        var (key, wrapped) = keys.NewSeriesKey(series.SeriesId);
        using (key)
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var stored = new List<FiledFrame>(series.Frames.Count);
            foreach (var frame in series.Frames)
            {
                var plaintext = await frames(frame.Index, cancellationToken);
                byte[] sealedFrame;
                try
                {
                    sealedFrame = ArchiveKeys.Seal(key, plaintext, ArchiveKeys.FrameAssociatedData(series.SeriesId, frame));
                }
                finally
                {
                    Array.Clear(plaintext);
                }

                await using var insertFrame = Sql.Command(connection, transaction, """
                    INSERT INTO series_frames (series_id, frame_index, sealed_frame) VALUES ($1, $2, $3)
                    ON CONFLICT (series_id, frame_index) DO NOTHING
                    """, series.SeriesId, frame.Index, sealedFrame);
                await insertFrame.ExecuteNonQueryAsync(cancellationToken);
                stored.Add(frame with { StoredAs = $"series_frames/{series.SeriesId}/{frame.Index}" });
            }

            return await InsertAsync(connection, transaction, series with { Frames = stored }, wrapped, framesReleased: false, cancellationToken);
        }
    }

    public async Task<ArchiveFiling> FileRecordAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        // No frame is ever sealed under it; a key still wraps beside the record so every record reads alike.
        var (key, wrapped) = keys.NewSeriesKey(series.SeriesId);
        key.Dispose();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var record = series with { Frames = [.. series.Frames.Select(f => f with { StoredAs = "pacs" })] };
        return await InsertAsync(connection, transaction, record, wrapped, framesReleased: true, cancellationToken);
    }

    /// <summary>Inserts the record and commits; if another filing of the series (perhaps another instance's) committed first, that one stands, none of this one is kept, and it is returned.</summary>
    private async Task<ArchiveFiling> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FiledSeries record, byte[] wrappedKey, bool framesReleased, CancellationToken cancellationToken)
    {
        await using var insert = Sql.Command(connection, transaction, """
            INSERT INTO series (series_id, job_id, device_id, patient_tag, lesion_tag, filed_at, captured_at, wrapped_key, sealed_record, frames_released)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (series_id) DO NOTHING
            """,
            record.SeriesId, record.JobId, record.DeviceId, PatientTag(record.PatientId), LesionTag(record.PatientId, record.LesionLabel),
            Sql.Time(record.FiledAt), Sql.Time(record.CapturedAt), wrappedKey, Seal(record), framesReleased);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new ArchiveFiling(await FindAsync(record.SeriesId, cancellationToken) ?? throw new InvalidOperationException($"series {record.SeriesId} was filed and is gone"), FiledBefore: true);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ArchiveFiling(record, FiledBefore: false);
    }

    public Task<IReadOnlyList<FiledSeries>> ListRecentAsync(int max, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM series ORDER BY filed_at DESC, series_id LIMIT $1", cancellationToken, max);

    public async Task<FiledSeries?> FindByJobAsync(string jobId, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM series WHERE job_id = $1 ORDER BY filed_at DESC LIMIT 1", cancellationToken, jobId)).SingleOrDefault();

    public Task<IReadOnlyList<FiledSeries>> ListForPatientAsync(string patientId, string? lesionLabel, CancellationToken cancellationToken) =>
        lesionLabel is null
            ? QueryAsync($"SELECT {Columns} FROM series WHERE patient_tag = $1 ORDER BY captured_at DESC, series_id", cancellationToken, PatientTag(patientId))
            : QueryAsync($"SELECT {Columns} FROM series WHERE patient_tag = $1 AND lesion_tag = $2 ORDER BY captured_at DESC, series_id", cancellationToken,
                PatientTag(patientId), LesionTag(patientId, lesionLabel));

    // The first withdrawal stands.
    public Task<bool> MarkConsentWithdrawnAsync(string seriesId, ConsentWithdrawal withdrawal, CancellationToken cancellationToken) =>
        ChangeRecordAsync(seriesId, found => found.ConsentWithdrawn is null ? found with { ConsentWithdrawn = withdrawal } : null, cancellationToken);

    // The latest correction stands.
    public Task<bool> RecordOutlineAsync(string seriesId, LesionOutline? outline, CancellationToken cancellationToken) =>
        ChangeRecordAsync(seriesId, found => found with { Outline = outline }, cancellationToken);

    public Task<bool> RecordOverviewReviewAsync(string seriesId, OverviewReview review, CancellationToken cancellationToken) =>
        ChangeRecordAsync(seriesId, found => found with { OverviewReview = review }, cancellationToken);

    /// <summary>
    /// Reads the record row-locked, so two instances changing it at once take turns, and writes
    /// back what <paramref name="change"/> makes of it (nothing when it gives null). False if the
    /// series is not filed.
    /// </summary>
    private async Task<bool> ChangeRecordAsync(string seriesId, Func<FiledSeries, FiledSeries?> change, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var select = Sql.Command(connection, transaction, $"SELECT {Columns} FROM series WHERE series_id = $1 FOR UPDATE", seriesId);
        var found = (await Sql.RowsAsync(select, ToSeries, cancellationToken)).SingleOrDefault();
        if (found is null)
        {
            return false;
        }

        if (change(found) is { } changed)
        {
            await using var update = Sql.Command(connection, transaction, "UPDATE series SET sealed_record = $2 WHERE series_id = $1", seriesId, Seal(changed));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, $"SELECT {Columns}, wrapped_key, (SELECT sealed_frame FROM series_frames WHERE series_id = $1 AND frame_index = $2), frames_released FROM series WHERE series_id = $1", seriesId, index);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new KeyNotFoundException($"series {seriesId} is not filed");
        }

        var series = ToSeries(reader);
        if (reader.GetBoolean(8))
        {
            throw new FramesReleasedException($"the frames of series {seriesId} were released to the PACS");
        }

        var frame = series.Frames.Single(f => f.Index == index);
        var sealedFrame = reader.IsDBNull(7) ? throw new CryptographicException($"frame {index} of series {seriesId} is missing: the archive was altered") : (byte[])reader[7];
        using var key = keys.UnwrapSeriesKey(seriesId, (byte[])reader[6]);
        var plaintext = ArchiveKeys.Open(key, sealedFrame, ArchiveKeys.FrameAssociatedData(seriesId, frame))
            ?? throw new CryptographicException($"frame {index} of series {seriesId} fails authentication");
        return Appliance.Protocol.SeriesSealing.Sha256Hex(plaintext) == frame.Sha256
            ? plaintext
            : throw new CryptographicException($"frame {index} of series {seriesId} does not match its digest");
    }

    public async Task<bool> ReleaseFramesAsync(string seriesId, CancellationToken cancellationToken)
    {
        // One transaction: the mark and the removal stand or fall together.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var mark = Sql.Command(connection, transaction, "UPDATE series SET frames_released = true WHERE series_id = $1", seriesId);
        if (await mark.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await using var remove = Sql.Command(connection, transaction, "DELETE FROM series_frames WHERE series_id = $1", seriesId);
        await remove.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "SELECT series_id FROM series ORDER BY series_id");
        return await Sql.RowsAsync(command, r => r.GetString(0), cancellationToken);
    }

    private string PatientTag(string patientId) => keys.LookupTag("patient", patientId);

    private string? LesionTag(string patientId, string? lesionLabel) => lesionLabel is null ? null : keys.LookupTag("lesion", $"{patientId}\n{lesionLabel}");

    private byte[] Seal(FiledSeries record) => keys.SealRecord(SeriesKind, record.SeriesId, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, ArchiveDatabase.Json));

    private async Task<IReadOnlyList<FiledSeries>> QueryAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Sql.Command(database, sql, values);
        return await Sql.RowsAsync(command, ToSeries, cancellationToken);
    }

    private FiledSeries ToSeries(NpgsqlDataReader row)
    {
        var id = row.GetString(0);
        var series = System.Text.Json.JsonSerializer.Deserialize<FiledSeries>(keys.OpenRecord(SeriesKind, id, (byte[])row[5]), ArchiveDatabase.Json)
            ?? throw new InvalidDataException($"series record {id} is empty");
        // What queries find a series by (the patient above all) must be what its sealed record says.
        if (series.SeriesId != id
            || row.GetString(1) != series.JobId
            || row.GetString(2) != series.DeviceId
            || row.GetString(3) != PatientTag(series.PatientId)
            || (row.IsDBNull(4) ? null : row.GetString(4)) != LesionTag(series.PatientId, series.LesionLabel))
        {
            throw new CryptographicException($"series record {id}: the fields it is found by were altered (they no longer match its sealed record)");
        }

        return series;
    }

    private static string Describe(string connectionString)
    {
        // Where it is, never how to get in: no password or user in what operators are shown.
        var parts = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL database {parts.Database} on {parts.Host}:{parts.Port}";
    }
}
