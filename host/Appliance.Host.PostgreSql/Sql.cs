using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// What every store does with the database: a command with positional parameters (<c>$1</c>,
/// <c>$2</c>…), rows read into records, bodies kept as <c>jsonb</c> in the web JSON form the
/// file stores write, and times as <c>timestamptz</c> (written as UTC, which is all Npgsql takes;
/// read back at offset zero, to the microsecond).
/// </summary>
internal static class Sql
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A command on its own pooled connection; null values go as SQL NULL, <see cref="Body{T}"/> values as jsonb.</summary>
    public static NpgsqlCommand Command(NpgsqlDataSource database, string sql, params object?[] values) => WithParameters(database.CreateCommand(sql), values);

    /// <summary>A command inside a transaction.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] values) =>
        WithParameters(new NpgsqlCommand(sql, connection, transaction), values);

    /// <summary>A record as a jsonb parameter.</summary>
    public static NpgsqlParameter Body<T>(T body) => new() { Value = JsonSerializer.Serialize(body, Json), NpgsqlDbType = NpgsqlDbType.Jsonb };

    public static T FromBody<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)!;

    public static List<T> Rows<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> row)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(row(reader));
        }

        return rows;
    }

    /// <summary>Rows read without blocking a thread, for the stores whose interfaces are asynchronous.</summary>
    public static async Task<List<T>> RowsAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(row(reader));
        }

        return rows;
    }

    /// <summary>The first column of each row, as the record it holds in jsonb.</summary>
    public static List<T> Bodies<T>(NpgsqlCommand command) => Rows(command, r => FromBody<T>(r.GetString(0)));

    public static DateTime? Time(DateTimeOffset? value) => value?.UtcDateTime;

    public static DateTimeOffset? TimeOrNull(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetDateTime(ordinal), TimeSpan.Zero);

    private static NpgsqlCommand WithParameters(NpgsqlCommand command, object?[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
