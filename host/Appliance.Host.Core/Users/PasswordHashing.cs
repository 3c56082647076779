using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using NSec.Cryptography;

namespace Appliance.Host.Core.Users;

/// <summary>Turns passwords into stored hashes and checks them.</summary>
public interface IPasswordHasher
{
    string Hash(string password);

    bool Verify(string password, string stored);
}

/// <summary>
/// Argon2id password hashes in a self-describing string (<c>argon2id$m=…,t=…,p=1$salt$hash</c>),
/// so the cost can be raised later without breaking stored hashes. Memory-hard: a stolen user
/// file costs an attacker 64 MiB and a few hundred milliseconds per guess.
/// </summary>
public sealed partial class Argon2idPasswordHasher(int memoryKiB = 64 * 1024, int passes = 3) : IPasswordHasher
{
    private const int SaltLength = 16;
    private const int HashLength = 32;

    public Argon2idPasswordHasher()
        : this(64 * 1024, 3)
    {
    }

    [GeneratedRegex("^m=([0-9]{1,7}),t=([0-9]{1,2}),p=1\\z", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Parameters();

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var hash = Derive(password, salt, memoryKiB, passes);
        return $"argon2id$m={memoryKiB},t={passes},p=1${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(stored);
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "argon2id")
        {
            return false;
        }

        var match = Parameters().Match(parts[1]);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, out var memory) || !int.TryParse(match.Groups[2].Value, out var cost))
        {
            return false;
        }

        var expected = Convert.FromBase64String(parts[3]);
        var actual = Derive(password, Convert.FromBase64String(parts[2]), memory, cost);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int passes)
    {
        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = memoryKiB, NumberOfPasses = passes });
        return kdf.DeriveBytes(Encoding.UTF8.GetBytes(password), salt, HashLength);
    }
}
