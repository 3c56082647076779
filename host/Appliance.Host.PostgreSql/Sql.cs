using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>Times as <c>timestamptz</c>: written as UTC (Npgsql takes no other offset), read back at offset zero, to the microsecond.</summary>
internal static class Sql
{
    public static DateTime? Time(DateTimeOffset? value) => value?.UtcDateTime;

    public static DateTimeOffset? TimeOrNull(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetDateTime(ordinal), TimeSpan.Zero);
}
