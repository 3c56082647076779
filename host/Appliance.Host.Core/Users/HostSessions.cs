using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Appliance.Host.Core.Audit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Users;

/// <summary>Section <c>Session</c>: how long a signed-in session lasts.</summary>
public sealed class SessionLifetimeOptions
{
    public const string Section = "Session";

    /// <summary>A session not used for this long ends (a clinic PC left signed in).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after sign-in however much it is used: one working day.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// A signed-in session as the host keeps it. <see cref="Id"/> is the SHA-256 of the secret the
/// browser's cookie carries, so the store on disk holds nothing a cookie could be made from.
/// </summary>
public sealed record HostSession(
    string Id,
    string UserName,
    string Role,
    string UserStamp,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeenAt,
    string ClientAddress,
    DateTimeOffset? EndedAt = null,
    string? EndedBecause = null);

public interface ISessionStore
{
    HostSession? Find(string id);

    void Save(HostSession session);

    void Delete(string id);

    IReadOnlyList<HostSession> List();
}

/// <summary>Whether a cookie's session still stands, and if not, why.</summary>
public enum SessionState
{
    Active,
    Unknown,
    SignedOut,
    Idle,
    Expired,
    UserChanged,
    UserDisabled,
    UserRemoved,
}

/// <summary>
/// Sessions kept on the server, so that a cookie is only as good as the session it names:
/// sign-out, a password or role change, disabling or removing the user, and an admin's "sign out
/// everywhere" end every copy of it at once; a session also ends when idle and at an absolute
/// lifetime however much it is used. Several host instances on one data folder see the same sessions.
/// </summary>
public sealed partial class HostSessions(
    ISessionStore store,
    IUserStore users,
    IAuditTrail audit,
    TimeProvider time,
    IOptions<SessionLifetimeOptions> options,
    ILogger<HostSessions> logger)
{
    /// <summary>A new session for <paramref name="user"/>; the returned secret goes into the cookie and nowhere else.</summary>
    public (HostSession Session, string Secret) Start(HostUser user, string clientAddress)
    {
        ArgumentNullException.ThrowIfNull(user);
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var session = new HostSession(IdOf(secret), user.Name, user.Role, user.SessionStamp, now, now, clientAddress);
        store.Save(session);
        Sweep(now);
        return (session, secret);
    }

    /// <summary>Whether the session behind <paramref name="secret"/> stands; an active one is marked as used now.</summary>
    public SessionState Check(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || store.Find(IdOf(secret)) is not { } session)
        {
            return SessionState.Unknown;
        }

        var now = time.GetUtcNow();
        var state = StateOf(session, now);
        if (state != SessionState.Active)
        {
            if (session.EndedAt is null)
            {
                store.Save(session with { EndedAt = now, EndedBecause = state.ToString() });
                LogSessionEnded(logger, session.UserName, state);
            }

            return state;
        }

        // Written at most every minute (or a quarter of the idle time): not a disk write per request.
        if (now - session.LastSeenAt >= TouchInterval)
        {
            store.Save(session with { LastSeenAt = now });
        }

        return SessionState.Active;
    }

    /// <summary>Sign-out: the session behind <paramref name="secret"/> ends, for every copy of the cookie.</summary>
    public void SignOut(string? secret, string actor)
    {
        if (string.IsNullOrEmpty(secret) || store.Find(IdOf(secret)) is not { } session || session.EndedAt is not null)
        {
            return;
        }

        store.Save(session with { EndedAt = time.GetUtcNow(), EndedBecause = SessionState.SignedOut.ToString() });
        audit.Append(AuditKinds.SignedOut, actor, session.UserName, $"session started {session.StartedAt:O} from {session.ClientAddress}");
    }

    /// <summary>Sessions of <paramref name="userName"/> still standing.</summary>
    public IReadOnlyList<HostSession> ActiveFor(string userName)
    {
        var now = time.GetUtcNow();
        return [.. store.List().Where(s => s.UserName == userName && StateOf(s, now) == SessionState.Active).OrderBy(s => s.StartedAt)];
    }

    private TimeSpan TouchInterval => TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, options.Value.IdleTimeout.Ticks / 4));

    private SessionState StateOf(HostSession session, DateTimeOffset now)
    {
        if (session.EndedAt is not null)
        {
            return Enum.TryParse<SessionState>(session.EndedBecause, out var ended) ? ended : SessionState.SignedOut;
        }

        if (now - session.StartedAt >= options.Value.AbsoluteLifetime)
        {
            return SessionState.Expired;
        }

        if (now - session.LastSeenAt >= options.Value.IdleTimeout)
        {
            return SessionState.Idle;
        }

        var user = users.Find(session.UserName);
        return user is null ? SessionState.UserRemoved
            : user.Disabled ? SessionState.UserDisabled
            : user.SessionStamp != session.UserStamp || user.Role != session.Role ? SessionState.UserChanged
            : SessionState.Active;
    }

    // Records of sessions that ended a day ago or more serve nobody; the audit trail keeps the sign-ins.
    private void Sweep(DateTimeOffset now)
    {
        foreach (var session in store.List())
        {
            var end = session.EndedAt
                ?? Min(session.StartedAt + options.Value.AbsoluteLifetime, session.LastSeenAt + options.Value.IdleTimeout);
            if (now - end >= TimeSpan.FromDays(1))
            {
                store.Delete(session.Id);
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string IdOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    [LoggerMessage(EventId = 5510, Level = LogLevel.Information, Message = "Session of {UserName} ended: {State}")]
    private static partial void LogSessionEnded(ILogger logger, string userName, SessionState state);
}
