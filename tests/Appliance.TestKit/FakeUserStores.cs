using System.Collections.Concurrent;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;

namespace Appliance.TestKit;

/// <summary>Users in memory, for unit tests of sign-in and sessions.</summary>
public sealed class FakeUserStore : IUserStore
{
    private readonly ConcurrentDictionary<string, HostUser> _users = new(StringComparer.Ordinal);

    public HostUser? Find(string name) => _users.GetValueOrDefault(name);

    public void Save(HostUser user) => _users[user.Name] = user;

    public bool Remove(string name) => _users.TryRemove(name, out _);

    public IReadOnlyList<HostUser> List() => [.. _users.Values.OrderBy(u => u.Name, StringComparer.Ordinal)];
}

/// <summary>Sessions in memory.</summary>
public sealed class FakeSessionStore : ISessionStore
{
    private readonly ConcurrentDictionary<string, HostSession> _sessions = new(StringComparer.Ordinal);

    public HostSession? Find(string id) => _sessions.GetValueOrDefault(id);

    public void Save(HostSession session) => _sessions[session.Id] = session;

    public void Delete(string id) => _sessions.TryRemove(id, out _);

    public IReadOnlyList<HostSession> List() => [.. _sessions.Values];
}

/// <summary>An audit trail in memory that records what was appended (no chain checking needed here).</summary>
public sealed class FakeAuditTrail : IAuditTrail
{
    private readonly ConcurrentQueue<AuditEntry> _entries = new();
    private long _sequence;

    /// <summary>Entries of this kind fail to append (a database away, or the instance dying just then), until set back to null.</summary>
    public string? FailingKind { get; set; }

    public AuditEntry Append(string kind, string actor, string subject, string details)
    {
        if (kind == FailingKind)
        {
            throw new IOException($"appending {kind} failed (test)");
        }

        var entry = new AuditEntry(Interlocked.Increment(ref _sequence), DateTimeOffset.UnixEpoch, kind, actor, subject, details, string.Empty, string.Empty);
        _entries.Enqueue(entry);
        return entry;
    }

    public IReadOnlyList<AuditEntry> ReadAll() => [.. _entries];

    public bool Records(string kind, string subject) => _entries.Any(e => e.Kind == kind && e.Subject == subject);

    public (long Sequence, string Hash)? ReadHead() => null;
}

/// <summary>
/// The real Argon2id hasher at a test-sized cost, counting how often a password is checked: the
/// work a sign-in does is what tells an attacker (by its time) what the host knows.
/// </summary>
public sealed class FakePasswordHasher : IPasswordHasher
{
    private readonly Argon2idPasswordHasher _real = new(memoryKiB: 1024, passes: 1);
    private int _verifications;

    public int Verifications => Volatile.Read(ref _verifications);

    public string Hash(string password) => _real.Hash(password);

    public bool Verify(string password, string stored)
    {
        Interlocked.Increment(ref _verifications);
        return _real.Verify(password, stored);
    }
}
