using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Security;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Appliance.Host.Web;

/// <summary>
/// The keys that sign and encrypt session cookies, sealed at rest: XChaCha20-Poly1305 under a
/// 256-bit key in <c>keys/session-keys.key</c> (owner-only, like the host's other keys). Whoever
/// copies the key ring (a backup, a misplaced folder) without that file cannot mint a cookie;
/// and a cookie alone is worth nothing without a live server-side session (<see cref="SessionCookie"/>).
/// </summary>
public sealed class SessionKeyProtection
{
    internal const string ElementName = "sealedKey";
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;
    private static readonly byte[] AssociatedData = Encoding.UTF8.GetBytes("appliance-host session key ring v1");
    private readonly byte[] _key;

    public SessionKeyProtection(IOptions<HostDataOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _key = SecureFiles.ReadOrCreateSecret(options.Value, () => RandomNumberGenerator.GetBytes(Aead.KeySize), "keys", "session-keys.key");
    }

    /// <summary>Registers the sealing with data protection's key manager.</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddSingleton<SessionKeyProtection>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlEncryptor = new Encryptor(sp.GetRequiredService<SessionKeyProtection>())));
    }

    internal XElement Seal(XElement plaintext)
    {
        var bytes = Encoding.UTF8.GetBytes(plaintext.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(Aead.NonceSize);
        using var key = Key.Import(Aead, _key, KeyBlobFormat.RawSymmetricKey);
        var sealedBytes = Aead.Encrypt(key, nonce, AssociatedData, bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return new XElement(
            ElementName,
            new XAttribute("algorithm", "XChaCha20-Poly1305"),
            new XElement("nonce", Convert.ToBase64String(nonce)),
            new XElement("ciphertext", Convert.ToBase64String(sealedBytes)));
    }

    internal XElement Open(XElement element)
    {
        if (element.Name != ElementName || (string?)element.Attribute("algorithm") != "XChaCha20-Poly1305")
        {
            throw new CryptographicException("not a session key sealed by this host");
        }

        var nonce = Convert.FromBase64String((string?)element.Element("nonce") ?? string.Empty);
        var ciphertext = Convert.FromBase64String((string?)element.Element("ciphertext") ?? string.Empty);
        using var key = Key.Import(Aead, _key, KeyBlobFormat.RawSymmetricKey);
        var plaintext = nonce.Length == Aead.NonceSize ? Aead.Decrypt(key, nonce, AssociatedData, ciphertext) : null;
        return plaintext is null
            ? throw new CryptographicException("the session key ring does not open with keys/session-keys.key (wrong key file, or the ring was altered)")
            : XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }

    private sealed class Encryptor(SessionKeyProtection protection) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(protection.Seal(plaintextElement), typeof(SessionKeyDecryptor));
    }
}

/// <summary>Opens a sealed session key; data protection creates it by type, with the host's services.</summary>
public sealed class SessionKeyDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) => services.GetRequiredService<SessionKeyProtection>().Open(encryptedElement);
}
