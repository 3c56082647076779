using System.Security.Cryptography;
using System.Text;
using Appliance.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// The archive key (<c>keys/archive.key</c>: in the secrets folder when instances share one, else
/// made on first start in the data folder) and what is derived from it:
/// the LiteDB password, the key that wraps each series' own key, and the key that seals every
/// record (a series' patient, consent, body site and frame digests; a job's patient and consent)
/// with its id bound in. LiteDB's own encryption (AES-ECB, no integrity) is only a second layer:
/// an edited, moved or swapped record fails to open. Frames are encrypted under a per-series key,
/// so one series can later be re-keyed or crypto-erased on its own.
/// </summary>
public sealed class ArchiveKeys : IDisposable
{
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;
    private readonly Key _wrapKey;
    private readonly Key _recordKey;
    private readonly byte[] _lookupKey;

    public ArchiveKeys(IOptions<HostDataOptions> options)
    {
        var master = SecureFiles.ReadOrCreateSecret(options.Value, () => RandomNumberGenerator.GetBytes(32), "keys", "archive.key");
        DatabasePassword = Convert.ToBase64String(HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: Encoding.ASCII.GetBytes("archive/litedb-password/v1")));
        var wrap = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: Encoding.ASCII.GetBytes("archive/series-key-wrap/v1"));
        _wrapKey = Key.Import(Aead, wrap, KeyBlobFormat.RawSymmetricKey);
        var records = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: Encoding.ASCII.GetBytes("archive/record-seal/v1"));
        _recordKey = Key.Import(Aead, records, KeyBlobFormat.RawSymmetricKey);
        _lookupKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: Encoding.ASCII.GetBytes("archive/lookup-tag/v1"));
        CryptographicOperations.ZeroMemory(master);
        CryptographicOperations.ZeroMemory(wrap);
        CryptographicOperations.ZeroMemory(records);
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

    /// <summary>A record sealed under the record key, bound to what it is (<paramref name="kind"/>) and which one (<paramref name="id"/>).</summary>
    public byte[] SealRecord(string kind, string id, ReadOnlySpan<byte> record) => Seal(_recordKey, record, RecordAssociatedData(kind, id));

    /// <summary>The record, or an exception saying that it was altered or moved.</summary>
    public byte[] OpenRecord(string kind, string id, byte[] sealedRecord) =>
        Open(_recordKey, sealedRecord, RecordAssociatedData(kind, id))
        ?? throw new CryptographicException($"the {kind} record {id} fails authentication: it was altered, or moved from another record");

    /// <summary>
    /// A keyed tag (HMAC-SHA-256, hex) that finds records by <paramref name="value"/> without
    /// holding it: a database that others administer indexes a patient by this, never by the
    /// identifier itself. <paramref name="purpose"/> keeps one kind of tag from matching another.
    /// </summary>
    public string LookupTag(string purpose, string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_lookupKey, Encoding.UTF8.GetBytes($"{purpose.Length}:{purpose}\n{value}")));

    /// <summary>What a stored frame is sealed to: its series, its place and the digest of its pixels, so no frame can stand in for another.</summary>
    public static byte[] FrameAssociatedData(string seriesId, Core.FiledFrame frame) =>
        Encoding.UTF8.GetBytes($"archive-frame\n{seriesId}\n{frame.Index}\n{frame.Sha256}");

    // Length-prefixed, so no id can be read as another kind's.
    private static byte[] RecordAssociatedData(string kind, string id) => Encoding.UTF8.GetBytes($"archive-record/v1\n{kind.Length}:{kind}\n{id.Length}:{id}");

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

    public void Dispose()
    {
        _wrapKey.Dispose();
        _recordKey.Dispose();
        CryptographicOperations.ZeroMemory(_lookupKey);
    }
}
