using Appliance.Host.Core.Users;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>Signed-in sessions in <c>host_sessions</c>: a sign-out on one instance ends the session on every other at its next request.</summary>
public sealed class PostgreSqlSessionStore(NpgsqlDataSource database) : ISessionStore
{
    private const string Columns = "id, user_name, role, user_stamp, started_at, last_seen_at, client_address, ended_at, ended_because";

    public HostSession? Find(string id)
    {
        using var command = Sql.Command(database, $"SELECT {Columns} FROM host_sessions WHERE id = $1", id);
        return Sql.Rows(command, Read).SingleOrDefault();
    }

    public void Save(HostSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.Id is not { Length: 64 } || !session.Id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            throw new ArgumentException("a session id is 64 lower-case hex digits", nameof(session));
        }

        using var command = Sql.Command(database, $"""
            INSERT INTO host_sessions ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET user_name = EXCLUDED.user_name, role = EXCLUDED.role, user_stamp = EXCLUDED.user_stamp,
              started_at = EXCLUDED.started_at, last_seen_at = EXCLUDED.last_seen_at, client_address = EXCLUDED.client_address,
              ended_at = EXCLUDED.ended_at, ended_because = EXCLUDED.ended_because
            """,
            session.Id, session.UserName, session.Role, session.UserStamp, Sql.Time(session.StartedAt), Sql.Time(session.LastSeenAt),
            session.ClientAddress, Sql.Time(session.EndedAt), session.EndedBecause);
        command.ExecuteNonQuery();
    }

    public void Delete(string id)
    {
        using var command = Sql.Command(database, "DELETE FROM host_sessions WHERE id = $1", id);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<HostSession> List()
    {
        using var command = Sql.Command(database, $"SELECT {Columns} FROM host_sessions");
        return Sql.Rows(command, Read);
    }

    private static HostSession Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        Sql.TimeOrNull(reader, 4)!.Value, Sql.TimeOrNull(reader, 5)!.Value, reader.GetString(6),
        Sql.TimeOrNull(reader, 7), reader.IsDBNull(8) ? null : reader.GetString(8));
}
