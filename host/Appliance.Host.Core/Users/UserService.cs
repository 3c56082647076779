using System.Text.RegularExpressions;
using Appliance.Host.Core.Audit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Users;

/// <summary>A change to the users the host refuses (the last admin, an unknown name); the message says why, for the admin.</summary>
public sealed class UserChangeRefusedException(string message) : Exception(message);

/// <summary>A user as the admin's list shows them.</summary>
public sealed record UserSummary(string Name, string Role, bool Disabled, DateTimeOffset? LockedUntil, int ActiveSessions);

/// <summary>
/// The people who sign in: adding, changing and removing them, and checking sign-ins. Every
/// change is audited with who made it, and every change a session relied on (password, role,
/// disabling, removal, "sign out everywhere") gives the user a new session stamp, which ends
/// all their sessions at once.
/// </summary>
public sealed partial class UserService(
    IUserStore users,
    IPasswordHasher hasher,
    HostSessions sessions,
    SignInThrottle throttle,
    IAuditTrail audit,
    TimeProvider time,
    IOptions<SignInOptions> signInOptions,
    ILogger<UserService> logger)
{
    public const int MinimumPasswordLength = 12;

    // Read-modify-write of a user record (a failure count, a role) is one step at a time.
    private readonly Lock _changes = new();

    // A hash to check against when there is no password to check (an unknown name, a locked or
    // disabled account), so every refusal takes as long as a wrong password.
    private readonly Lazy<string> _decoy = new(() => hasher.Hash(Guid.NewGuid().ToString("N")));

    public static bool IsValidName(string? name) => name is not null && Regex.IsMatch(name, "^[a-z][a-z0-9._-]{1,63}\\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Adds a user, or replaces an existing one's password and role (ending their sessions).</summary>
    public HostUser Add(string name, string role, string password, string actor)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException("A user name is 2–64 lower-case letters, digits, '.', '_' or '-', starting with a letter.", nameof(name));
        }

        EnsureRole(role);
        EnsurePassword(password);
        var hash = hasher.Hash(password);
        lock (_changes)
        {
            if (users.Find(name) is { Role: UserRoles.Admin } existing && role != UserRoles.Admin && !existing.Disabled)
            {
                EnsureAnotherAdmin(name);
            }

            var user = new HostUser(name, role, hash, SessionStamp: HostUser.NewStamp());
            users.Save(user);
            audit.Append(AuditKinds.UserAdded, actor, name, role);
            return user;
        }
    }

    public IReadOnlyList<UserSummary> List() =>
        [.. users.List().Select(u => new UserSummary(u.Name, u.Role, u.Disabled, u.LockedUntil > time.GetUtcNow() ? u.LockedUntil : null, sessions.ActiveFor(u.Name).Count))];

    public HostUser SetRole(string name, string role, string actor)
    {
        EnsureRole(role);
        return Change(name, actor, AuditKinds.RoleChanged, role, user =>
        {
            if (user.Role == UserRoles.Admin && role != UserRoles.Admin)
            {
                EnsureAnotherAdmin(name);
            }

            return user with { Role = role };
        });
    }

    public HostUser Disable(string name, string actor) =>
        Change(name, actor, AuditKinds.UserDisabled, "sessions ended", user =>
        {
            if (user.Role == UserRoles.Admin)
            {
                EnsureAnotherAdmin(name);
            }

            return user with { Disabled = true };
        });

    /// <summary>Enabling also clears a lock: the admin has spoken to the person.</summary>
    public HostUser Enable(string name, string actor) =>
        Change(name, actor, AuditKinds.UserEnabled, string.Empty, user => user with { Disabled = false, FailedAttempts = 0, LockedUntil = null });

    public HostUser ResetPassword(string name, string password, string actor)
    {
        EnsurePassword(password);
        var hash = hasher.Hash(password);
        return Change(name, actor, AuditKinds.PasswordReset, "sessions ended", user => user with { PasswordHash = hash, FailedAttempts = 0, LockedUntil = null });
    }

    public HostUser SignOutEverywhere(string name, string actor) =>
        Change(name, actor, AuditKinds.SessionsEnded, "signed out everywhere", user => user);

    /// <summary>
    /// A user changing their own password: the current one must be right. Every session ends,
    /// this one too; the page signs the user in afresh.
    /// </summary>
    public HostUser? ChangeOwnPassword(string name, string currentPassword, string newPassword, string clientAddress)
    {
        EnsurePassword(newPassword);
        // A copied cookie must not become a way to guess the password: the same limits as sign-in.
        if (throttle.TryReserve(name, clientAddress, signInOptions.Value) is { } held)
        {
            audit.Append(AuditKinds.PasswordChangeFailed, name, name, $"throttled: {held} from {clientAddress}");
            return null;
        }

        var user = users.Find(name);
        if (user is null || user.Disabled || !hasher.Verify(currentPassword ?? string.Empty, user.PasswordHash))
        {
            audit.Append(AuditKinds.PasswordChangeFailed, name, name, $"current password wrong from {clientAddress}");
            return null;
        }

        throttle.Succeeded(name, clientAddress);

        var hash = hasher.Hash(newPassword);
        return Change(name, name, AuditKinds.PasswordChanged, "sessions ended", u => u with { PasswordHash = hash });
    }

    public void Remove(string name, string actor)
    {
        lock (_changes)
        {
            var user = users.Find(name) ?? throw new UserChangeRefusedException($"there is no user '{name}'");
            if (user.Role == UserRoles.Admin)
            {
                EnsureAnotherAdmin(name);
            }

            users.Remove(name);
            audit.Append(AuditKinds.UserRemoved, actor, name, user.Role);
        }
    }

    /// <summary>
    /// The user if the password is right and neither the account nor this client address is held
    /// back; null otherwise (never saying which). Every attempt is audited with the client address.
    /// </summary>
    public HostUser? SignIn(string name, string password, string clientAddress)
    {
        ArgumentNullException.ThrowIfNull(clientAddress);
        password ??= string.Empty;
        var knownForm = IsValidName(name);
        var subject = knownForm ? name : "(not a user name)";
        var options = signInOptions.Value;

        // Held back by this address's failures: refused before any password is checked. What it
        // says (the address's own recent failures) the caller knows already, so a quick answer gives nothing away.
        if (throttle.TryReserve(subject, clientAddress, options) is { } held)
        {
            Refuse(subject, clientAddress, $"throttled: {held}");
            return null;
        }

        var user = knownForm ? users.Find(name) : null;
        var now = time.GetUtcNow();
        if (user is null || user.Disabled || user.LockedUntil > now)
        {
            // The same work as a wrong password, so that timing does not tell a locked, disabled or missing account.
            hasher.Verify(password, _decoy.Value);
            Refuse(subject, clientAddress, user is null ? "unknown user" : user.Disabled ? "account disabled" : "account locked");
            return null;
        }

        if (!hasher.Verify(password, user.PasswordHash))
        {
            var locked = false;
            lock (_changes)
            {
                if (users.Find(name) is { } current)
                {
                    // A lock that has run out starts the count again.
                    var lapsed = current.LockedUntil is { } until && until <= now;
                    var failed = (lapsed ? 0 : current.FailedAttempts) + 1;
                    locked = failed >= options.FailuresPerAccount;
                    users.Save(current with { FailedAttempts = failed, LockedUntil = locked ? now + options.Window : lapsed ? null : current.LockedUntil });
                }
            }

            Refuse(subject, clientAddress, locked ? "wrong password; account locked" : "wrong password");
            return null;
        }

        throttle.Succeeded(subject, clientAddress);
        lock (_changes)
        {
            user = users.Find(name) ?? user;
            if (user.FailedAttempts > 0 || user.LockedUntil is not null)
            {
                user = user with { FailedAttempts = 0, LockedUntil = null };
                users.Save(user);
            }
        }

        audit.Append(AuditKinds.SignedIn, name, name, $"{user.Role} from {clientAddress}");
        LogSignedIn(logger, name, clientAddress);
        return user;
    }

    private void Refuse(string subject, string clientAddress, string reason)
    {
        LogSignInFailed(logger, subject, clientAddress, reason);
        audit.Append(AuditKinds.SignInFailed, subject, subject, $"{reason} from {clientAddress}");
    }

    private HostUser Change(string name, string actor, string kind, string details, Func<HostUser, HostUser> change)
    {
        lock (_changes)
        {
            var user = users.Find(name) ?? throw new UserChangeRefusedException($"there is no user '{name}'");
            var changed = change(user) with { SessionStamp = HostUser.NewStamp() };
            users.Save(changed);
            audit.Append(kind, actor, name, details);
            LogUserChanged(logger, name, kind, actor);
            return changed;
        }
    }

    private void EnsureAnotherAdmin(string name)
    {
        if (!users.List().Any(u => u.Name != name && u.Role == UserRoles.Admin && !u.Disabled))
        {
            throw new UserChangeRefusedException($"'{name}' is the only admin who can sign in: add another admin first");
        }
    }

    private static void EnsureRole(string role)
    {
        if (!UserRoles.IsValid(role))
        {
            throw new ArgumentException($"A role is {UserRoles.Admin}, {UserRoles.Dermatologist} or {UserRoles.Clinic}.", nameof(role));
        }
    }

    private static void EnsurePassword(string password)
    {
        if (password is null || password.Length < MinimumPasswordLength)
        {
            throw new ArgumentException($"A password is at least {MinimumPasswordLength} characters.", nameof(password));
        }

        if (password.Length > 1024)
        {
            throw new ArgumentException("A password is at most 1024 characters.", nameof(password));
        }
    }

    [LoggerMessage(EventId = 5501, Level = LogLevel.Warning, Message = "Sign-in refused for {UserName} from {ClientAddress}: {Reason}")]
    private static partial void LogSignInFailed(ILogger logger, string userName, string clientAddress, string reason);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Information, Message = "{UserName} signed in from {ClientAddress}")]
    private static partial void LogSignedIn(ILogger logger, string userName, string clientAddress);

    [LoggerMessage(EventId = 5503, Level = LogLevel.Information, Message = "User {UserName} changed ({Kind}) by {Actor}; their sessions end")]
    private static partial void LogUserChanged(ILogger logger, string userName, string kind, string actor);
}
