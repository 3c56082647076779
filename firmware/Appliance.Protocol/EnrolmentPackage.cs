using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Appliance.Protocol;

/// <summary>
/// A provisioning bundle as it travels from the host to the appliance: encrypted under a
/// one-time enrolment code the admin types on the appliance side (or gives deploy-pi.sh). The
/// key is Argon2id of the code, so a copied package without its code is useless and a guessed
/// code costs a full Argon2id run per guess; the device id and enrolment id are bound in as
/// associated data so a package cannot be relabelled.
/// </summary>
public sealed record EnrolmentPackage(
    int Version,
    string EnrolmentId,
    string DeviceId,
    int MemoryKiB,
    int Passes,
    string Salt,
    string Nonce,
    string Ciphertext)
{
    public const int CurrentVersion = 1;

    /// <summary>Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper survives.</summary>
    private const string CodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int CodeCharacters = 20; // 100 bits

    private static AeadAlgorithm Aead => AeadAlgorithm.XChaCha20Poly1305;

    /// <summary>Encrypts a bundle under a fresh enrolment code; returns the package and the code (shown once, never stored).</summary>
    public static (EnrolmentPackage Package, string Code) Seal(ProvisioningBundle bundle, int memoryKiB = 64 * 1024, int passes = 3)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var code = NewCode();
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(Aead.NonceSize);
        var enrolmentId = Guid.NewGuid().ToString("N");
        using var key = DeriveKey(code, salt, memoryKiB, passes);
        var ciphertext = Aead.Encrypt(key, nonce, AssociatedData(bundle.DeviceId, enrolmentId), ProtocolJson.Serialize(bundle));
        var package = new EnrolmentPackage(CurrentVersion, enrolmentId, bundle.DeviceId, memoryKiB, passes,
            Convert.ToBase64String(salt), Convert.ToBase64String(nonce), Convert.ToBase64String(ciphertext));
        return (package, code);
    }

    /// <summary>Decrypts with the code the admin typed; a wrong code (or a tampered package) is an <see cref="EnrolmentException"/>.</summary>
    public ProvisioningBundle Open(string code)
    {
        if (Version != CurrentVersion)
        {
            throw new EnrolmentException($"enrolment package version {Version} is not {CurrentVersion}");
        }

        if (!Protocol.DeviceId.IsValid(DeviceId) || !Guid.TryParseExact(EnrolmentId, "N", out _) || MemoryKiB is < 8 * 1024 or > 1024 * 1024 || Passes is < 1 or > 10)
        {
            throw new EnrolmentException("the enrolment package is malformed");
        }

        var normalised = NormaliseCode(code) ?? throw new EnrolmentException($"an enrolment code is {CodeCharacters} letters and digits (dashes optional)");
        byte[] salt, nonce, ciphertext;
        try
        {
            (salt, nonce, ciphertext) = (Convert.FromBase64String(Salt), Convert.FromBase64String(Nonce), Convert.FromBase64String(Ciphertext));
        }
        catch (FormatException)
        {
            throw new EnrolmentException("the enrolment package is malformed");
        }

        if (nonce.Length != Aead.NonceSize || salt.Length < 16)
        {
            throw new EnrolmentException("the enrolment package is malformed");
        }

        using var key = DeriveKey(normalised, salt, MemoryKiB, Passes);
        var plaintext = Aead.Decrypt(key, nonce, AssociatedData(DeviceId, EnrolmentId), ciphertext)
            ?? throw new EnrolmentException($"the enrolment code does not open the package for {DeviceId} (mistyped, or the package was altered)");
        try
        {
            if (!ProtocolJson.TryDeserialize<ProvisioningBundle>(plaintext, out var bundle, out var error))
            {
                throw new EnrolmentException($"the bundle inside the package is unreadable: {error}");
            }

            var invalid = bundle.Validate() ?? (bundle.DeviceId != DeviceId ? "the bundle names another device than its package" : null);
            return invalid is null ? bundle : throw new EnrolmentException($"the bundle inside the package is invalid: {invalid}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Upper-cases, drops dashes and spaces, reads O as 0 and I or L as 1; null if it cannot be a code.</summary>
    public static string? NormaliseCode(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var builder = new StringBuilder(CodeCharacters);
        foreach (var c in typed.ToUpperInvariant())
        {
            var mapped = c switch { 'O' => '0', 'I' or 'L' => '1', _ => c };
            if (mapped is '-' or ' ')
            {
                continue;
            }

            if (!CodeAlphabet.Contains(mapped, StringComparison.Ordinal))
            {
                return null;
            }

            builder.Append(mapped);
        }

        return builder.Length == CodeCharacters ? builder.ToString() : null;
    }

    private static string NewCode()
    {
        var chars = new char[CodeCharacters];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = CodeAlphabet[RandomNumberGenerator.GetInt32(CodeAlphabet.Length)];
        }

        // Grouped in fives for reading aloud; the dashes are optional when typed.
        return string.Join('-', Enumerable.Range(0, CodeCharacters / 5).Select(g => new string(chars, g * 5, 5)));
    }

    private static Key DeriveKey(string code, byte[] salt, int memoryKiB, int passes)
    {
        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = memoryKiB, NumberOfPasses = passes });
        return kdf.DeriveKey(NormaliseCode(code)!, salt, Aead, new KeyCreationParameters());
    }

    private static byte[] AssociatedData(string deviceId, string enrolmentId) =>
        Encoding.ASCII.GetBytes($"appliance-enrolment-v1\n{deviceId}\n{enrolmentId}");
}

/// <summary>An enrolment package that cannot be enrolled: wrong code, altered, or already used.</summary>
public sealed class EnrolmentException(string message) : Exception(message);
