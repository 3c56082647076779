using System.Text.Json;
using Appliance.Host.Core.Rollouts;
using Appliance.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Host.PostgreSql;

/// <summary>Rollouts in <c>rollouts</c> and each appliance's progress in <c>rollout_progress</c>, as JSON, one row each.</summary>
public sealed class PostgreSqlRolloutStore(NpgsqlDataSource database) : IRolloutStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
        using var command = database.CreateCommand(sql);
        foreach (var key in keys)
        {
            command.Parameters.Add(new() { Value = key });
        }

        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!);
        }

        return rows;
    }

    private void Write<T>(string sql, object first, object second, T body)
    {
        using var command = database.CreateCommand(sql);
        command.Parameters.Add(new() { Value = first });
        command.Parameters.Add(new() { Value = second });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(body, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
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
        using var command = database.CreateCommand("SELECT device_id, group_name FROM device_groups");
        using var reader = command.ExecuteReader();
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            groups[reader.GetString(0)] = reader.GetString(1);
        }

        return groups;
    }

    public void Set(string deviceId, string? group)
    {
        DeviceId.EnsureValid(deviceId);
        using var command = database.CreateCommand(group is null
            ? "DELETE FROM device_groups WHERE device_id = $1"
            : "INSERT INTO device_groups (device_id, group_name) VALUES ($1, $2) ON CONFLICT (device_id) DO UPDATE SET group_name = EXCLUDED.group_name");
        command.Parameters.Add(new() { Value = deviceId });
        if (group is not null)
        {
            command.Parameters.Add(new() { Value = group });
        }

        command.ExecuteNonQuery();
    }
}
