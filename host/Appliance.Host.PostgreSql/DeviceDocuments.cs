using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// What the host keeps whole per device, as JSON rows of <c>device_documents</c> (device, kind):
/// read, replaced, listed, or changed in one step under a lock on that device and kind, so two
/// instances changing the same device's document take turns.
/// </summary>
public sealed class DeviceDocuments(NpgsqlDataSource database)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public T? Find<T>(string kind, string deviceId) where T : class
    {
        using var command = database.CreateCommand("SELECT body FROM device_documents WHERE device_id = $1 AND kind = $2");
        command.Parameters.Add(new() { Value = deviceId });
        command.Parameters.Add(new() { Value = kind });
        return command.ExecuteScalar() is string json ? JsonSerializer.Deserialize<T>(json, Json) : null;
    }

    public void Save<T>(string kind, string deviceId, T body)
    {
        using var connection = database.OpenConnection();
        Write(connection, null, kind, deviceId, body);
    }

    public IReadOnlyList<T> All<T>(string kind)
    {
        using var command = database.CreateCommand("SELECT body FROM device_documents WHERE kind = $1 ORDER BY device_id COLLATE \"C\"");
        command.Parameters.Add(new() { Value = kind });
        using var reader = command.ExecuteReader();
        var all = new List<T>();
        while (reader.Read())
        {
            all.Add(JsonSerializer.Deserialize<T>(reader.GetString(0), Json)!);
        }

        return all;
    }

    /// <summary>Reads, changes and writes one document in a transaction holding that document's advisory lock; <paramref name="change"/> returns null for no change.</summary>
    public T Update<T>(string kind, string deviceId, T empty, Func<T, T?> change) where T : class
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var turn = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))", connection, transaction))
        {
            turn.Parameters.Add(new() { Value = kind });
            turn.Parameters.Add(new() { Value = deviceId });
            turn.ExecuteNonQuery();
        }

        T current;
        using (var read = new NpgsqlCommand("SELECT body FROM device_documents WHERE device_id = $1 AND kind = $2", connection, transaction))
        {
            read.Parameters.Add(new() { Value = deviceId });
            read.Parameters.Add(new() { Value = kind });
            current = read.ExecuteScalar() is string json ? JsonSerializer.Deserialize<T>(json, Json)! : empty;
        }

        if (change(current) is not { } changed)
        {
            return current;
        }

        Write(connection, transaction, kind, deviceId, changed);
        transaction.Commit();
        return changed;
    }

    private static void Write<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string kind, string deviceId, T body)
    {
        using var command = new NpgsqlCommand(
            "INSERT INTO device_documents (device_id, kind, body) VALUES ($1, $2, $3) ON CONFLICT (device_id, kind) DO UPDATE SET body = EXCLUDED.body",
            connection, transaction);
        command.Parameters.Add(new() { Value = deviceId });
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(body, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.ExecuteNonQuery();
    }
}
