using System.Text.Json;
using Appliance.Host.Core.Audit;
using Appliance.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Audit;

/// <summary>
/// The audit trail as JSON lines in <c>audit/audit.log</c>, opened for append only and
/// flushed to disk per entry, with its head in <c>audit/head</c> (written whole, apart from
/// the log, so a log cut short no longer matches it). On a clinic host, also make the log
/// append-only for root with <c>chattr +a</c> (docs/operations.md). Host instances that share
/// the data folder take turns through an exclusive lock on <c>audit/lock</c>, so the chain
/// never forks.
/// </summary>
public sealed class FileAuditTrail : IAuditTrail
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private readonly string _logPath;
    private readonly string _headPath;
    private readonly string _lockPath;
    private readonly TimeProvider _time;

    public FileAuditTrail(IOptions<HostDataOptions> options, TimeProvider time)
    {
        _logPath = options.Value.Resolve("audit", "audit.log");
        _headPath = options.Value.Resolve("audit", "head");
        _lockPath = options.Value.Resolve("audit", "lock");
        _time = time;
        Directory.CreateDirectory(Path.GetDirectoryName(_logPath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public AuditEntry Append(string kind, string actor, string subject, string details)
    {
        lock (_gate)
        {
            using var instances = InstanceLock.Acquire(_lockPath);
            var head = ReadHead();
            var sequence = (head?.Sequence ?? 0) + 1;
            var previous = head?.Hash ?? AuditEntry.GenesisHash;
            var at = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
            var entry = new AuditEntry(sequence, at, kind, actor, subject, details, previous, AuditEntry.HashOf(sequence, at, kind, actor, subject, details, previous), AuditEntry.CurrentFormat);
            using (var log = new FileStream(_logPath, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.Read,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                log.Write(JsonSerializer.SerializeToUtf8Bytes(entry, Json));
                log.WriteByte((byte)'\n');
                log.Flush(flushToDisk: true);
            }

            SecureFiles.WriteAllBytes(_headPath, System.Text.Encoding.UTF8.GetBytes($"{sequence} {entry.Hash}"));
            return entry;
        }
    }

    public IReadOnlyList<AuditEntry> ReadAll()
    {
        if (!File.Exists(_logPath))
        {
            return [];
        }

        var entries = new List<AuditEntry>();
        var number = 0;
        foreach (var line in File.ReadLines(_logPath))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                entries.Add(JsonSerializer.Deserialize<AuditEntry>(line, Json) ?? throw new InvalidDataException($"audit line {number} is empty JSON"));
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"audit line {number} is not an entry: {ex.Message}", ex);
            }
        }

        return entries;
    }

    /// <summary>Reads the log through; rare (a series confirmed again), so no index is kept for it.</summary>
    public bool Records(string kind, string subject) => ReadAll().Any(e => e.Kind == kind && e.Subject == subject);

    public (long Sequence, string Hash)? ReadHead()
    {
        if (!File.Exists(_headPath))
        {
            return null;
        }

        var parts = File.ReadAllText(_headPath).Split(' ', 2);
        return parts.Length == 2 && long.TryParse(parts[0], out var sequence) ? (sequence, parts[1].Trim()) : throw new InvalidDataException("the audit head is unreadable");
    }
}
