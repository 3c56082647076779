using System.Security.Cryptography;
using System.Text.Json;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Infrastructure.Archive;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// Capture jobs in <c>capture_jobs</c> (each record sealed under the archive key with its id bound
/// in, found by its unique episode code) and their timelines in <c>capture_job_events</c>, one row
/// per event. A status delivered twice, to one instance or to two, is kept once: a unique index on
/// (job, state, time reported) refuses the second in the database, not in any one process.
/// </summary>
public sealed class PostgreSqlCaptureJobs(NpgsqlDataSource database, ArchiveKeys keys) : ICaptureJobRepository
{
    private const string JobKind = ArchiveDatabase.JobKind;
    private const string Columns = "job_id, episode_code, sealed_record";

    public async Task AddAsync(CaptureJobRecord job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        await using var command = Sql.Command(database, "INSERT INTO capture_jobs (job_id, episode_code, device_id, issued_at, sealed_record) VALUES ($1, $2, $3, $4, $5)",
            job.JobId, job.EpisodeCode, job.DeviceId, Sql.Time(job.IssuedAt),
            keys.SealRecord(JobKind, job.JobId, JsonSerializer.SerializeToUtf8Bytes(job, ArchiveDatabase.Json)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<CaptureJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM capture_jobs WHERE job_id = $1", cancellationToken, jobId)).SingleOrDefault();

    public async Task<CaptureJobRecord?> FindByEpisodeAsync(string episodeCode, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM capture_jobs WHERE episode_code = $1", cancellationToken, episodeCode)).SingleOrDefault();

    public Task<IReadOnlyList<CaptureJobRecord>> ListRecentJobsAsync(int max, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM capture_jobs ORDER BY issued_at DESC, job_id LIMIT $1", cancellationToken, max);

    public Task<IReadOnlyList<CaptureJobRecord>> ListJobsIssuedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM capture_jobs WHERE issued_at >= $1 ORDER BY issued_at, job_id", cancellationToken, Sql.Time(since));

    public Task<IReadOnlyList<CaptureJobRecord>> ListJobsWithEventAsync(string state, string? deviceId, CancellationToken cancellationToken) =>
        QueryAsync($"""
            SELECT {Columns} FROM capture_jobs j
            WHERE ($2::text IS NULL OR j.device_id = $2) AND EXISTS (SELECT 1 FROM capture_job_events e WHERE e.job_id = j.job_id AND e.state = $1)
            ORDER BY j.issued_at, j.job_id
            """, cancellationToken, state, deviceId);

    public async Task<JobEventOutcome> AppendJobEventAsync(string jobId, JobEvent jobEvent, CancellationToken cancellationToken, string? deviceId = null)
    {
        ArgumentNullException.ThrowIfNull(jobEvent);
        var job = await FindJobAsync(jobId, cancellationToken);
        if (job is null)
        {
            return JobEventOutcome.NoSuchJob;
        }

        if (deviceId is not null && job.DeviceId != deviceId)
        {
            return JobEventOutcome.OtherDevicesJob;
        }

        await using var command = Sql.Command(database, """
            INSERT INTO capture_job_events (job_id, state, reported_at, body) VALUES ($1, $2, $3, $4)
            ON CONFLICT (job_id, state, reported_at) WHERE reported_at IS NOT NULL DO NOTHING
            """, jobId, jobEvent.State, Sql.Time(jobEvent.ReportedAt), Sql.Body(jobEvent));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? JobEventOutcome.Appended : JobEventOutcome.Duplicate;
    }

    public async Task<IReadOnlyList<JobEvent>> ListJobEventsAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "SELECT body FROM capture_job_events WHERE job_id = $1 ORDER BY event_id", jobId);
        return await Sql.RowsAsync(command, r => Sql.FromBody<JobEvent>(r.GetString(0)), cancellationToken);
    }

    private async Task<IReadOnlyList<CaptureJobRecord>> QueryAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Sql.Command(database, sql, values);
        return await Sql.RowsAsync(command, ToJob, cancellationToken);
    }

    private CaptureJobRecord ToJob(NpgsqlDataReader row)
    {
        var id = row.GetString(0);
        var job = JsonSerializer.Deserialize<CaptureJobRecord>(keys.OpenRecord(JobKind, id, (byte[])row[2]), ArchiveDatabase.Json)
            ?? throw new InvalidDataException($"job record {id} is empty");
        return job.JobId == id && row.GetString(1) == job.EpisodeCode
            ? job
            : throw new CryptographicException($"job record {id}: the fields it is found by were altered");
    }
}
