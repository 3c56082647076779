using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// What the host keeps whole per device, as JSON rows of <c>device_documents</c> (device, kind):
/// read, replaced, listed, or changed in one step under a lock on that device and kind, so two
/// instances changing the same device's document take turns.
/// </summary>
public sealed class DeviceDocuments(NpgsqlDataSource database)
{
    private const string Select = "SELECT body FROM device_documents WHERE device_id = $1 AND kind = $2";

    public T? Find<T>(string kind, string deviceId) where T : class
    {
        using var command = Sql.Command(database, Select, deviceId, kind);
        return Sql.Bodies<T>(command).SingleOrDefault();
    }

    public void Save<T>(string kind, string deviceId, T body)
    {
        using var connection = database.OpenConnection();
        Write(connection, null, kind, deviceId, body);
    }

    public IReadOnlyList<T> All<T>(string kind)
    {
        using var command = Sql.Command(database, "SELECT body FROM device_documents WHERE kind = $1 ORDER BY device_id COLLATE \"C\"", kind);
        return Sql.Bodies<T>(command);
    }

    /// <summary>Reads, changes and writes one document in a transaction holding that document's advisory lock; <paramref name="change"/> returns null for no change.</summary>
    public T Update<T>(string kind, string deviceId, T empty, Func<T, T?> change) where T : class
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var turn = Sql.Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))", kind, deviceId))
        {
            turn.ExecuteNonQuery();
        }

        T current;
        using (var read = Sql.Command(connection, transaction, Select, deviceId, kind))
        {
            current = Sql.Bodies<T>(read).SingleOrDefault() ?? empty;
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
        using var command = Sql.Command(connection, transaction,
            "INSERT INTO device_documents (device_id, kind, body) VALUES ($1, $2, $3) ON CONFLICT (device_id, kind) DO UPDATE SET body = EXCLUDED.body",
            deviceId, kind, Sql.Body(body));
        command.ExecuteNonQuery();
    }
}
