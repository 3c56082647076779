using System.Security.Cryptography;

namespace Appliance.Host.Core.Users;

/// <summary>What a person may do on the host's pages.</summary>
public static class UserRoles
{
    /// <summary>IT admins: the fleet, provisioning, wipe and revocation, and the users.</summary>
    public const string Admin = "admin";

    /// <summary>Dermatologists: filed series and their patients.</summary>
    public const string Dermatologist = "dermatologist";

    /// <summary>Clinic staff: capture jobs.</summary>
    public const string Clinic = "clinic";

    public static bool IsValid(string? role) => role is Admin or Dermatologist or Clinic;
}

/// <summary>
/// A person who signs in to the host; the password is kept only as an Argon2id hash.
/// <see cref="SessionStamp"/> changes whenever something a session relied on changes (password,
/// role, disabling, "sign out everywhere"): every session started under the old stamp ends.
/// </summary>
public sealed record HostUser(
    string Name,
    string Role,
    string PasswordHash,
    int FailedAttempts = 0,
    DateTimeOffset? LockedUntil = null,
    bool Disabled = false,
    string SessionStamp = "")
{
    public static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

public interface IUserStore
{
    HostUser? Find(string name);

    void Save(HostUser user);

    /// <summary>False if there was no such user.</summary>
    bool Remove(string name);

    IReadOnlyList<HostUser> List();
}
