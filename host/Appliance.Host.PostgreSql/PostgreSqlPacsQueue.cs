using Appliance.Host.Core.Pacs;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// The deliveries to the PACS in <c>pacs_deliveries</c>, shared by every host instance: a due
/// delivery is taken in one statement (<c>FOR UPDATE SKIP LOCKED</c>, its next attempt moved to
/// the lease's end), so two instances never take the same one.
/// </summary>
public sealed class PostgreSqlPacsQueue(NpgsqlDataSource database) : IPacsQueue
{
    private const string Columns = "series_id, state, attempts, queued_at, next_attempt_at, last_error, sent_at, instances";

    public async Task<int> EnqueueAsync(IReadOnlyCollection<string> seriesIds, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seriesIds);
        await using var command = Sql.Command(database, """
            INSERT INTO pacs_deliveries (series_id, state, queued_at, next_attempt_at)
            SELECT id, 'Queued', $2, $2 FROM unnest($1::text[]) AS id
            ON CONFLICT (series_id) DO NOTHING
            """, seriesIds.ToArray(), Sql.Time(at));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<PacsDelivery>> TakeDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken)
    {
        // RETURNING gives the row as changed: the lease is put back to the time it was due in what is answered.
        await using var command = Sql.Command(database, $"""
            WITH due AS (
                SELECT series_id, next_attempt_at AS was_due FROM pacs_deliveries
                WHERE state = 'Queued' AND next_attempt_at <= $1
                ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
            UPDATE pacs_deliveries p SET next_attempt_at = $2 FROM due WHERE p.series_id = due.series_id
            RETURNING p.series_id, p.state, p.attempts, p.queued_at, due.was_due, p.last_error, p.sent_at, p.instances
            """, Sql.Time(now), Sql.Time(leaseUntil), max);
        return [.. (await Sql.RowsAsync(command, ToDelivery, cancellationToken)).OrderBy(d => d.NextAttemptAt)];
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "SELECT min(next_attempt_at) FROM pacs_deliveries WHERE state = 'Queued'");
        return (await Sql.RowsAsync(command, r => Sql.TimeOrNull(r, 0), cancellationToken)).Single();
    }

    public async Task MarkSentAsync(string seriesId, DateTimeOffset at, int instances, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "UPDATE pacs_deliveries SET state = 'Sent', attempts = attempts + 1, sent_at = $2, instances = $3, last_error = NULL WHERE series_id = $1",
            seriesId, Sql.Time(at), instances);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task MarkFailedAsync(string seriesId, int attempts, DateTimeOffset nextAttemptAt, string error, bool refused, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "UPDATE pacs_deliveries SET state = $2, attempts = $3, next_attempt_at = $4, last_error = $5 WHERE series_id = $1",
            seriesId, (refused ? PacsDeliveryState.Refused : PacsDeliveryState.Queued).ToString(), attempts, Sql.Time(nextAttemptAt), error);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> RetryAsync(string seriesId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "UPDATE pacs_deliveries SET state = 'Queued', next_attempt_at = $2 WHERE series_id = $1 AND state = 'Refused'", seriesId, Sql.Time(at));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<PacsDelivery?> FindAsync(string seriesId, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, $"SELECT {Columns} FROM pacs_deliveries WHERE series_id = $1", seriesId);
        return (await Sql.RowsAsync(command, ToDelivery, cancellationToken)).SingleOrDefault();
    }

    public async Task RecordSentAsync(string seriesId, DateTimeOffset at, int instances, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, """
            INSERT INTO pacs_deliveries (series_id, state, attempts, queued_at, next_attempt_at, sent_at, instances) VALUES ($1, 'Sent', 1, $2, $2, $2, $3)
            ON CONFLICT (series_id) DO UPDATE SET state = 'Sent', attempts = pacs_deliveries.attempts + 1, sent_at = EXCLUDED.sent_at, instances = EXCLUDED.instances, last_error = NULL
            WHERE pacs_deliveries.state <> 'Sent'
            """, seriesId, Sql.Time(at), instances);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<PacsQueueSummary> SummarizeAsync(int maxRefused, CancellationToken cancellationToken)
    {
        await using var counts = Sql.Command(database, """
            SELECT count(*) FILTER (WHERE state = 'Sent'), count(*) FILTER (WHERE state = 'Queued'), count(*) FILTER (WHERE state = 'Refused'),
                   min(queued_at) FILTER (WHERE state = 'Queued')
            FROM pacs_deliveries
            """);
        var (sent, waiting, refused, oldest) = (await Sql.RowsAsync(counts, r => ((int)r.GetInt64(0), (int)r.GetInt64(1), (int)r.GetInt64(2), Sql.TimeOrNull(r, 3)), cancellationToken)).Single();
        await using var list = Sql.Command(database, $"SELECT {Columns} FROM pacs_deliveries WHERE state = 'Refused' ORDER BY queued_at DESC, series_id COLLATE \"C\" LIMIT $1", maxRefused);
        return new PacsQueueSummary(sent, waiting, refused, oldest, await Sql.RowsAsync(list, ToDelivery, cancellationToken));
    }

    public async Task<IReadOnlyList<PacsDelivery>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, $"SELECT {Columns} FROM pacs_deliveries ORDER BY queued_at DESC, series_id COLLATE \"C\"");
        return await Sql.RowsAsync(command, ToDelivery, cancellationToken);
    }

    private static PacsDelivery ToDelivery(NpgsqlDataReader r) => new(
        r.GetString(0),
        Enum.Parse<PacsDeliveryState>(r.GetString(1)),
        r.GetInt32(2),
        Sql.TimeOrNull(r, 3)!.Value,
        Sql.TimeOrNull(r, 4)!.Value,
        r.IsDBNull(5) ? null : r.GetString(5),
        Sql.TimeOrNull(r, 6),
        r.GetInt32(7));
}
