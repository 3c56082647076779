using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Host.Core.Audit;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;

namespace Appliance.Host.Core.Users;

/// <summary>What a person may do on the host's pages.</summary>
public static class UserRoles
{
    /// <summary>IT admins: the fleet, provisioning, wipe and revocation.</summary>
    public const string Admin = "admin";

    /// <summary>Dermatologists: filed series and their patients.</summary>
    public const string Dermatologist = "dermatologist";

    /// <summary>Clinic staff: capture jobs.</summary>
    public const string Clinic = "clinic";

    public static bool IsValid(string? role) => role is Admin or Dermatologist or Clinic;
}

/// <summary>A person who signs in to the host; the password is kept only as an Argon2id hash.</summary>
public sealed record HostUser(string Name, string Role, string PasswordHash, int FailedAttempts = 0, DateTimeOffset? LockedUntil = null);

public interface IUserStore
{
    HostUser? Find(string name);

    void Save(HostUser user);

    IReadOnlyList<HostUser> List();
}

/// <summary>
/// Argon2id password hashes in a self-describing string (<c>argon2id$m=…,t=…,p=1$salt$hash</c>),
/// so the cost can be raised later without breaking stored hashes. Memory-hard: a stolen user
/// file costs an attacker 64 MiB and a few hundred milliseconds per guess.
/// </summary>
public static class PasswordHashing
{
    private const int SaltLength = 16;
    private const int HashLength = 32;

    public static string Hash(string password, int memoryKiB = 64 * 1024, int passes = 3)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var hash = Derive(password, salt, memoryKiB, passes);
        return $"argon2id$m={memoryKiB},t={passes},p=1${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "argon2id")
        {
            return false;
        }

        var match = Regex.Match(parts[1], "^m=([0-9]+),t=([0-9]+),p=1$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (!match.Success || !int.TryParse(match.Groups[1].Value, out var memory) || !int.TryParse(match.Groups[2].Value, out var passes))
        {
            return false;
        }

        var expected = Convert.FromBase64String(parts[3]);
        var actual = Derive(password, Convert.FromBase64String(parts[2]), memory, passes);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int passes)
    {
        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = memoryKiB, NumberOfPasses = passes });
        return kdf.DeriveBytes(Encoding.UTF8.GetBytes(password), salt, HashLength);
    }
}

/// <summary>
/// Adds users and checks sign-ins. Five wrong passwords in a row lock the account for fifteen
/// minutes; every sign-in and every failure goes to the audit trail.
/// </summary>
public sealed partial class UserService(IUserStore users, IAuditTrail audit, TimeProvider time, ILogger<UserService> logger)
{
    public const int MinimumPasswordLength = 12;
    private const int AttemptsBeforeLock = 5;
    private static readonly TimeSpan LockTime = TimeSpan.FromMinutes(15);

    // A hash to check against when the name is unknown, so a wrong name takes as long as a wrong password.
    private readonly Lazy<string> _decoy = new(() => PasswordHashing.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    public static bool IsValidName(string? name) => name is not null && Regex.IsMatch(name, "^[a-z][a-z0-9._-]{1,63}$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public HostUser Add(string name, string role, string password, string actor)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException("A user name is 2–64 lower-case letters, digits, '.', '_' or '-', starting with a letter.", nameof(name));
        }

        if (!UserRoles.IsValid(role))
        {
            throw new ArgumentException($"A role is {UserRoles.Admin}, {UserRoles.Dermatologist} or {UserRoles.Clinic}.", nameof(role));
        }

        if (password is null || password.Length < MinimumPasswordLength)
        {
            throw new ArgumentException($"A password is at least {MinimumPasswordLength} characters.", nameof(password));
        }

        var user = new HostUser(name, role, PasswordHashing.Hash(password));
        users.Save(user);
        audit.Append(AuditKinds.UserAdded, actor, name, role);
        return user;
    }

    /// <summary>The user if the password is right and the account not locked; null otherwise (never says which).</summary>
    public HostUser? SignIn(string name, string password)
    {
        var now = time.GetUtcNow();
        var user = IsValidName(name) ? users.Find(name) : null;
        if (user is null)
        {
            PasswordHashing.Verify(password ?? string.Empty, _decoy.Value);
            LogSignInFailed(logger, "unknown user");
            return null;
        }

        if (user.LockedUntil > now)
        {
            LogSignInFailed(logger, "account locked");
            audit.Append(AuditKinds.SignInFailed, name, name, "locked");
            return null;
        }

        if (!PasswordHashing.Verify(password ?? string.Empty, user.PasswordHash))
        {
            var failed = user.FailedAttempts + 1;
            users.Save(user with { FailedAttempts = failed, LockedUntil = failed >= AttemptsBeforeLock ? now + LockTime : null });
            LogSignInFailed(logger, "wrong password");
            audit.Append(AuditKinds.SignInFailed, name, name, failed >= AttemptsBeforeLock ? "wrong password; locked" : "wrong password");
            return null;
        }

        if (user.FailedAttempts > 0 || user.LockedUntil is not null)
        {
            user = user with { FailedAttempts = 0, LockedUntil = null };
            users.Save(user);
        }

        audit.Append(AuditKinds.SignedIn, name, name, user.Role);
        return user;
    }

    [LoggerMessage(EventId = 5501, Level = LogLevel.Warning, Message = "Sign-in refused: {Reason}")]
    private static partial void LogSignInFailed(ILogger logger, string reason);
}
