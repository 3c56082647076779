using Appliance.Host.Core.Rollouts;
using Appliance.Protocol;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>Rollouts in <c>rollouts</c> and each appliance's progress in <c>rollout_progress</c>, as JSON, one row each.</summary>
public sealed class PostgreSqlRolloutStore(NpgsqlDataSource database) : IRolloutStore
{
    public IReadOnlyList<Rollout> List() => Read<Rollout>("SELECT body FROM rollouts ORDER BY created_at, rollout_id");

    public Rollout? Find(string rolloutId) => Read<Rollout>("SELECT body FROM rollouts WHERE rollout_id = $1", rolloutId).SingleOrDefault();

    public void Save(Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        EnsureName(rollout.RolloutId);
        Write("INSERT INTO rollouts (rollout_id, created_at, body) VALUES ($1, $2, $3) ON CONFLICT (rollout_id) DO UPDATE SET body = EXCLUDED.body",
            rollout.RolloutId, rollout.CreatedAt.UtcDateTime, rollout);
    }

    public IReadOnlyList<DeviceUpdate> Progress(string rolloutId) =>
        Read<DeviceUpdate>("SELECT body FROM rollout_progress WHERE rollout_id = $1 ORDER BY device_id COLLATE \"C\"", rolloutId);

    public DeviceUpdate? FindProgress(string rolloutId, string deviceId) =>
        Read<DeviceUpdate>("SELECT body FROM rollout_progress WHERE rollout_id = $1 AND device_id = $2", rolloutId, deviceId).SingleOrDefault();

    public void SaveProgress(DeviceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        EnsureName(update.RolloutId);
        DeviceId.EnsureValid(update.DeviceId);
        Write("INSERT INTO rollout_progress (rollout_id, device_id, body) VALUES ($1, $2, $3) ON CONFLICT (rollout_id, device_id) DO UPDATE SET body = EXCLUDED.body",
            update.RolloutId, update.DeviceId, update);
    }

    private List<T> Read<T>(string sql, params object[] keys)
    {
        using var command = Sql.Command(database, sql, keys);
        return Sql.Bodies<T>(command);
    }

    private void Write<T>(string sql, object first, object second, T body)
    {
        using var command = Sql.Command(database, sql, first, second, Sql.Body(body));
        command.ExecuteNonQuery();
    }

    private static void EnsureName(string id)
    {
        if (!CaptureJob.IsValidJobId(id))
        {
            throw new ArgumentException("a rollout id is 1–64 letters, digits or hyphens", nameof(id));
        }
    }
}

/// <summary>Each appliance's group in <c>device_groups</c>: one row each, so two admins grouping at once lose nothing.</summary>
public sealed class PostgreSqlDeviceGroups(NpgsqlDataSource database) : IDeviceGroups
{
    public IReadOnlyDictionary<string, string> All()
    {
        using var command = Sql.Command(database, "SELECT device_id, group_name FROM device_groups");
        return Sql.Rows(command, r => (Device: r.GetString(0), Group: r.GetString(1))).ToDictionary(g => g.Device, g => g.Group, StringComparer.Ordinal);
    }

    public void Set(string deviceId, string? group)
    {
        DeviceId.EnsureValid(deviceId);
        using var command = group is null
            ? Sql.Command(database, "DELETE FROM device_groups WHERE device_id = $1", deviceId)
            : Sql.Command(database, "INSERT INTO device_groups (device_id, group_name) VALUES ($1, $2) ON CONFLICT (device_id) DO UPDATE SET group_name = EXCLUDED.group_name", deviceId, group);
        command.ExecuteNonQuery();
    }
}
