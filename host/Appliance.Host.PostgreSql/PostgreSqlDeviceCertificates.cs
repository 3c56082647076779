using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// Certificates issued, one row each in <c>device_certificates</c> (thumbprints upper-case), and
/// revoked in place: a revocation by any instance or the command line holds at the device's next
/// connection to any broker the fleet uses.
/// </summary>
public sealed class PostgreSqlDeviceCertificates(NpgsqlDataSource database, TimeProvider time) : IDeviceCertificates
{
    public void RecordIssued(string deviceId, string thumbprint, string serialNumber)
    {
        DeviceId.EnsureValid(deviceId);
        Execute("INSERT INTO device_certificates (thumbprint, device_id, serial_number) VALUES ($1, $2, $3) ON CONFLICT (thumbprint) DO NOTHING",
            thumbprint.ToUpperInvariant(), deviceId, serialNumber);
    }

    public IReadOnlyList<string> KnownDevices() => Devices("SELECT device_id FROM device_certificates GROUP BY device_id ORDER BY device_id COLLATE \"C\"");

    public IReadOnlyList<string> ActiveDevices() => Devices("SELECT device_id FROM device_certificates WHERE revoked_at IS NULL GROUP BY device_id ORDER BY device_id COLLATE \"C\"");

    public IReadOnlyList<(string SerialNumber, DateTimeOffset RevokedAt)> RevokedSerials()
    {
        using var command = Sql.Command(database, "SELECT serial_number, revoked_at FROM device_certificates WHERE revoked_at IS NOT NULL AND serial_number <> '' ORDER BY revoked_at, issued_order");
        return Sql.Rows(command, r => (r.GetString(0), Sql.TimeOrNull(r, 1)!.Value));
    }

    public int Revoke(string deviceId, string reason)
    {
        DeviceId.EnsureValid(deviceId);
        return Execute("UPDATE device_certificates SET revoked_at = $2, revoked_reason = $3 WHERE device_id = $1 AND revoked_at IS NULL",
            deviceId, time.GetUtcNow().UtcDateTime, reason.ReplaceLineEndings(" "));
    }

    public bool IsRevoked(string thumbprint)
    {
        using var command = Sql.Command(database, "SELECT EXISTS (SELECT 1 FROM device_certificates WHERE thumbprint = $1 AND revoked_at IS NOT NULL)", thumbprint.ToUpperInvariant());
        return (bool)command.ExecuteScalar()!;
    }

    public int SupersedeOlder(string deviceId, string thumbprint)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return 0;
        }

        // Only when it is the newest issued to the device: then every older one still valid is revoked, in one statement.
        var newest = thumbprint.ToUpperInvariant();
        return Execute("""
            UPDATE device_certificates SET revoked_at = $3, revoked_reason = 'superseded by ' || $2
            WHERE device_id = $1 AND revoked_at IS NULL AND thumbprint <> $2
              AND (SELECT thumbprint FROM device_certificates WHERE device_id = $1 ORDER BY issued_order DESC LIMIT 1) = $2
            """, deviceId, newest, time.GetUtcNow().UtcDateTime);
    }

    private List<string> Devices(string sql)
    {
        using var command = Sql.Command(database, sql);
        return Sql.Rows(command, r => r.GetString(0));
    }

    private int Execute(string sql, params object[] values)
    {
        using var command = Sql.Command(database, sql, values);
        return command.ExecuteNonQuery();
    }
}
