using Appliance.Host.Core.Audit;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// The audit trail in <c>audit_entries</c>, its head in <c>audit_head</c>. Each append is one
/// transaction that first takes a transaction-scoped advisory lock: host instances on any number
/// of machines append in turn, each reading the head the one before it committed, so the chain
/// never forks. A failed append leaves nothing behind (the transaction rolls back).
/// </summary>
public sealed class PostgreSqlAuditTrail(NpgsqlDataSource database, TimeProvider time) : IAuditTrail
{
    /// <summary>The advisory lock appends take in turn (an arbitrary constant, "ASaudit").</summary>
    private const long AuditLock = 0x41_5361_7564_6974;

    public AuditEntry Append(string kind, string actor, string subject, string details)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var turn = Sql.Command(connection, transaction, $"SELECT pg_advisory_xact_lock({AuditLock})"))
        {
            turn.ExecuteNonQuery();
        }

        var head = ReadHead(connection, transaction);
        var sequence = (head?.Sequence ?? 0) + 1;
        var previous = head?.Hash ?? AuditEntry.GenesisHash;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        var entry = new AuditEntry(sequence, at, kind, actor, subject, details, previous, AuditEntry.HashOf(sequence, at, kind, actor, subject, details, previous), AuditEntry.CurrentFormat);
        using (var insert = Sql.Command(connection, transaction,
            "INSERT INTO audit_entries (sequence, at_unix_ms, kind, actor, subject, details, previous_hash, hash, format) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            entry.Sequence, at.ToUnixTimeMilliseconds(), kind, actor, subject, details, previous, entry.Hash, entry.Format))
        {
            insert.ExecuteNonQuery();
        }

        using (var moveHead = Sql.Command(connection, transaction,
            "INSERT INTO audit_head (id, sequence, hash) VALUES (true, $1, $2) ON CONFLICT (id) DO UPDATE SET sequence = EXCLUDED.sequence, hash = EXCLUDED.hash",
            entry.Sequence, entry.Hash))
        {
            moveHead.ExecuteNonQuery();
        }

        transaction.Commit();
        return entry;
    }

    public IReadOnlyList<AuditEntry> ReadAll()
    {
        using var command = Sql.Command(database, "SELECT sequence, at_unix_ms, kind, actor, subject, details, previous_hash, hash, format FROM audit_entries ORDER BY sequence");
        return Sql.Rows(command, r => new AuditEntry(
            r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3),
            r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.GetInt32(8)));
    }

    public bool Records(string kind, string subject)
    {
        using var command = Sql.Command(database, "SELECT EXISTS (SELECT 1 FROM audit_entries WHERE subject = $1 AND kind = $2)", subject, kind);
        return (bool)command.ExecuteScalar()!;
    }

    public (long Sequence, string Hash)? ReadHead()
    {
        using var connection = database.OpenConnection();
        return ReadHead(connection, null);
    }

    private static (long Sequence, string Hash)? ReadHead(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT sequence, hash FROM audit_head", connection, transaction);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }
}
