using System.Security.Cryptography;
using System.Text;
using Appliance.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// The archive key (<c>keys/archive.key</c>, made on first start) and what is derived from it:
/// the LiteDB password and the key that wraps each series' own key. Frames are encrypted under
/// a per-series key, so one series can later be re-keyed or crypto-erased on its own.
/// </summary>
public sealed class ArchiveKeys : IDisposable
{
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;
    private readonly Key _wrapKey;

    public ArchiveKeys(IOptions<HostDataOptions> options)
    {
        var master = SecureFiles.ReadOrCreate(options.Value.Resolve("keys", "archive.key"), () => RandomNumberGenerator.GetBytes(32));
        DatabasePassword = Convert.ToBase64String(HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: Encoding.ASCII.GetBytes("archive/litedb-password/v1")));
        var wrap = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: Encoding.ASCII.GetBytes("archive/series-key-wrap/v1"));
        _wrapKey = Key.Import(Aead, wrap, KeyBlobFormat.RawSymmetricKey);
        CryptographicOperations.ZeroMemory(master);
        CryptographicOperations.ZeroMemory(wrap);
    }

    public string DatabasePassword { get; }

    /// <summary>A fresh series key and its wrapped form (to store beside the record).</summary>
    public (Key SeriesKey, byte[] Wrapped) NewSeriesKey(string seriesId)
    {
        var raw = RandomNumberGenerator.GetBytes(32);
        try
        {
            return (Key.Import(Aead, raw, KeyBlobFormat.RawSymmetricKey), Seal(_wrapKey, raw, Encoding.UTF8.GetBytes(seriesId)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    public Key UnwrapSeriesKey(string seriesId, byte[] wrapped)
    {
        var raw = Open(_wrapKey, wrapped, Encoding.UTF8.GetBytes(seriesId))
            ?? throw new CryptographicException($"the key of series {seriesId} does not unwrap: archive key or record altered");
        try
        {
            return Key.Import(Aead, raw, KeyBlobFormat.RawSymmetricKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary><c>nonce ‖ ciphertext ‖ tag</c>.</summary>
    public static byte[] Seal(Key key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var result = new byte[Aead.NonceSize + plaintext.Length + Aead.TagSize];
        RandomNumberGenerator.Fill(result.AsSpan(0, Aead.NonceSize));
        Aead.Encrypt(key, result.AsSpan(0, Aead.NonceSize), associatedData, plaintext, result.AsSpan(Aead.NonceSize));
        return result;
    }

    public static byte[]? Open(Key key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        if (sealedData.Length < Aead.NonceSize + Aead.TagSize)
        {
            return null;
        }

        var plaintext = new byte[sealedData.Length - Aead.NonceSize - Aead.TagSize];
        return Aead.Decrypt(key, sealedData[..Aead.NonceSize], associatedData, sealedData[Aead.NonceSize..], plaintext) ? plaintext : null;
    }

    public void Dispose() => _wrapKey.Dispose();
}
