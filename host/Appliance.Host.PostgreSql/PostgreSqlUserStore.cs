using Appliance.Host.Core.Users;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>The host's users in <c>host_users</c>: each change one row, so instances never overwrite each other's.</summary>
public sealed class PostgreSqlUserStore(NpgsqlDataSource database) : IUserStore
{
    private const string Columns = "name, role, password_hash, failed_attempts, locked_until, disabled, session_stamp";

    public HostUser? Find(string name)
    {
        using var command = Sql.Command(database, $"SELECT {Columns} FROM host_users WHERE name = $1", name);
        return Sql.Rows(command, Read).SingleOrDefault();
    }

    public void Save(HostUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        using var command = Sql.Command(database, $"""
            INSERT INTO host_users ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash, failed_attempts = EXCLUDED.failed_attempts,
              locked_until = EXCLUDED.locked_until, disabled = EXCLUDED.disabled, session_stamp = EXCLUDED.session_stamp
            """, user.Name, user.Role, user.PasswordHash, user.FailedAttempts, Sql.Time(user.LockedUntil), user.Disabled, user.SessionStamp);
        command.ExecuteNonQuery();
    }

    public bool Remove(string name)
    {
        using var command = Sql.Command(database, "DELETE FROM host_users WHERE name = $1", name);
        return command.ExecuteNonQuery() > 0;
    }

    public IReadOnlyList<HostUser> List()
    {
        using var command = Sql.Command(database, $"SELECT {Columns} FROM host_users ORDER BY name COLLATE \"C\"");
        return Sql.Rows(command, Read);
    }

    private static HostUser Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
        Sql.TimeOrNull(reader, 4), reader.GetBoolean(5), reader.GetString(6));
}
