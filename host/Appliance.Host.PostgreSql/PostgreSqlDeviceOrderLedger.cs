using Appliance.Host.Core.Orders;
using Appliance.Protocol;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// Order counters in <c>device_order_counters</c>, raised in one statement (so two instances
/// never issue the same counter to a device), and wipe records in <c>wipes</c>: one current per
/// device, and those set aside when it is put back in service.
/// </summary>
public sealed class PostgreSqlDeviceOrderLedger(NpgsqlDataSource database) : IDeviceOrderLedger
{
    public long NextCounter(string deviceId, DateTimeOffset now)
    {
        DeviceId.EnsureValid(deviceId);
        // Above the last one, and never below the time in microseconds (a database restored from an older backup still issues counters the appliance accepts).
        using var command = Sql.Command(database, """
            INSERT INTO device_order_counters (device_id, counter) VALUES ($1, $2)
            ON CONFLICT (device_id) DO UPDATE SET counter = GREATEST(device_order_counters.counter + 1, EXCLUDED.counter)
            RETURNING counter
            """, deviceId, (now - DateTimeOffset.UnixEpoch).Ticks / 10);
        return (long)command.ExecuteScalar()!;
    }

    public WipeRecord? FindWipe(string deviceId)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return null;
        }

        using var command = Sql.Command(database, "SELECT record FROM wipes WHERE device_id = $1 AND current", deviceId);
        return Sql.Bodies<WipeRecord>(command).SingleOrDefault();
    }

    public void SaveWipe(WipeRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        DeviceId.EnsureValid(record.DeviceId);
        using var command = Sql.Command(database, """
            INSERT INTO wipes (device_id, current, requested_at, record) VALUES ($1, true, $2, $3)
            ON CONFLICT (device_id) WHERE current DO UPDATE SET requested_at = EXCLUDED.requested_at, record = EXCLUDED.record
            """, record.DeviceId, record.RequestedAt.UtcDateTime, Sql.Body(record));
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<WipeRecord> Wipes()
    {
        using var command = Sql.Command(database, "SELECT record FROM wipes WHERE current ORDER BY requested_at");
        return Sql.Bodies<WipeRecord>(command);
    }

    public void ArchiveWipe(string deviceId)
    {
        DeviceId.EnsureValid(deviceId);
        using var command = Sql.Command(database, "UPDATE wipes SET current = false WHERE device_id = $1 AND current", deviceId);
        command.ExecuteNonQuery();
    }
}
