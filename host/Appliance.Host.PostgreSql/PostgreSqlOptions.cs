using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.PostgreSql;

/// <summary>Where the host's shared state lives (<c>Archive:Provider</c>).</summary>
public enum ArchiveProvider
{
    /// <summary>Files and one encrypted LiteDB in the data folder: one host machine, the embedded default.</summary>
    LiteDb,

    /// <summary>PostgreSQL, shared by host instances on any number of machines.</summary>
    PostgreSql,
}

/// <summary>Section <c>PostgreSql</c>: the database every host instance of a trust shares.</summary>
public sealed class PostgreSqlOptions
{
    public const string Section = "PostgreSql";

    /// <summary>An Npgsql connection string (<c>Host=…;Port=…;Database=…;Username=…</c>; a password from the environment or a secrets mount, never the repository).</summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// Apply missing migrations at start instead of refusing to start. Off by default: a trust
    /// migrates once, with <c>appliance-host migrate</c>, before it starts the new release on every instance.
    /// </summary>
    public bool MigrateOnStart { get; set; }
}
