using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using NSecPublicKey = NSec.Cryptography.PublicKey;

namespace Appliance.Protocol;

/// <summary>
/// Sealing of frames to the host: an ephemeral X25519 key per series agrees a secret with the
/// host's sealing key; HKDF-SHA256 turns it into an XChaCha20-Poly1305 key (no AES on a Pi 4).
/// Associated data binds device, series, frame index and the plaintext digest, so a sealed
/// frame cannot be moved to another series, slot or device without failing to open.
/// A sealed frame is <c>nonce(24) ‖ ciphertext ‖ tag(16)</c>.
/// </summary>
public static class SeriesSealing
{
    public const string Algorithm = "X25519-HKDF-SHA256-XChaCha20Poly1305";
    public static readonly int Overhead = Aead.NonceSize + Aead.TagSize;

    /// <summary>The Poly1305 tag at the end of every sealed frame.</summary>
    public static int TagSize => Aead.TagSize;

    internal static AeadAlgorithm Aead => AeadAlgorithm.XChaCha20Poly1305;
    internal static KeyAgreementAlgorithm Agreement => KeyAgreementAlgorithm.X25519;

    /// <summary>Makes a host sealing key pair; the private half never leaves the host.</summary>
    public static (byte[] PrivateKey, byte[] PublicKey) CreateHostKeyPair()
    {
        using var key = Key.Create(Agreement, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return (key.Export(KeyBlobFormat.RawPrivateKey), key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    internal static Key DeriveSeriesKey(SharedSecret secret, string seriesId, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> hostPublic)
    {
        var info = new byte[32 + ephemeralPublic.Length + hostPublic.Length];
        Encoding.ASCII.GetBytes("appliance-suite/series-seal/v1\0\0").CopyTo(info, 0);
        ephemeralPublic.CopyTo(info.AsSpan(32));
        hostPublic.CopyTo(info.AsSpan(32 + ephemeralPublic.Length));
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(secret, Encoding.UTF8.GetBytes(seriesId), info, Aead);
    }

    internal static byte[] AssociatedData(string deviceId, string seriesId, int frameIndex, string sha256Hex) =>
        Encoding.UTF8.GetBytes($"{deviceId}\n{seriesId}\n{frameIndex}\n{sha256Hex}");

    internal static byte[] ManifestAssociatedData(string deviceId, string seriesId) =>
        Encoding.UTF8.GetBytes($"{deviceId}\n{seriesId}\nmanifest");

    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>Appliance side: seals one series' frames to the host's public key.</summary>
public sealed class SeriesSealer : IDisposable
{
    private readonly Key _seriesKey;
    private readonly string _deviceId;
    private readonly string _seriesId;

    public SeriesSealer(ReadOnlySpan<byte> hostPublicKey, string deviceId, string seriesId)
    {
        var hostPublic = NSecPublicKey.Import(SeriesSealing.Agreement, hostPublicKey, KeyBlobFormat.RawPublicKey);
        using var ephemeral = Key.Create(SeriesSealing.Agreement);
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        using var secret = SeriesSealing.Agreement.Agree(ephemeral, hostPublic)
            ?? throw new CryptographicException("X25519 agreement failed (low-order host key?)");
        _seriesKey = SeriesSealing.DeriveSeriesKey(secret, seriesId, ephemeralPublic, hostPublicKey);
        _deviceId = deviceId;
        _seriesId = seriesId;
        Header = new SealingHeader(SeriesSealing.Algorithm, Convert.ToBase64String(ephemeralPublic));
        // The ephemeral private key is disposed here: from now on nothing on the appliance can open these frames.
    }

    public SealingHeader Header { get; }

    public byte[] SealFrame(int index, ReadOnlySpan<byte> plaintext, string sha256Hex)
    {
        var result = new byte[plaintext.Length + SeriesSealing.Overhead];
        SealFrame(index, plaintext, sha256Hex, result);
        return result;
    }

    /// <summary>
    /// Seals the manifest (episode code, body site, digests, quality): on the wire and at rest
    /// it is as closed as the frames, and a changed byte fails to open.
    /// </summary>
    public byte[] SealManifest(SeriesManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.SeriesId != _seriesId || manifest.DeviceId != _deviceId)
        {
            throw new ArgumentException("the manifest is for another series or device", nameof(manifest));
        }

        var plaintext = ProtocolJson.Serialize(manifest);
        var result = new byte[plaintext.Length + SeriesSealing.Overhead];
        var nonceSize = SeriesSealing.Aead.NonceSize;
        RandomNumberGenerator.Fill(result.AsSpan(0, nonceSize));
        SeriesSealing.Aead.Encrypt(_seriesKey, result.AsSpan(0, nonceSize), SeriesSealing.ManifestAssociatedData(_deviceId, _seriesId), plaintext, result.AsSpan(nonceSize));
        return result;
    }

    /// <summary>What the upload carries in clear for this series: ids, the ephemeral key and the sealed lengths.</summary>
    public SeriesRouting Routing(int sealedManifestLength, IEnumerable<int> sealedFrameLengths) =>
        new(_seriesId, _deviceId, Header, sealedManifestLength, [.. sealedFrameLengths]);

    /// <summary>Seals into <paramref name="destination"/>, exactly <c>plaintext.Length + Overhead</c> bytes.</summary>
    public void SealFrame(int index, ReadOnlySpan<byte> plaintext, string sha256Hex, Span<byte> destination)
    {
        if (destination.Length != plaintext.Length + SeriesSealing.Overhead)
        {
            throw new ArgumentException("destination must be the plaintext length plus the sealing overhead", nameof(destination));
        }

        var nonceSize = SeriesSealing.Aead.NonceSize;
        RandomNumberGenerator.Fill(destination[..nonceSize]);
        SeriesSealing.Aead.Encrypt(
            _seriesKey,
            destination[..nonceSize],
            SeriesSealing.AssociatedData(_deviceId, _seriesId, index, sha256Hex),
            plaintext,
            destination[nonceSize..]);
    }

    public void Dispose() => _seriesKey.Dispose();
}

/// <summary>Host side: opens frames sealed to the host's private key.</summary>
public sealed class SeriesUnsealer : IDisposable
{
    private readonly Key _hostKey;
    private readonly byte[] _hostPublic;

    public SeriesUnsealer(ReadOnlySpan<byte> hostPrivateKey)
    {
        _hostKey = Key.Import(SeriesSealing.Agreement, hostPrivateKey, KeyBlobFormat.RawPrivateKey);
        _hostPublic = _hostKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The matching public key, which appliances seal to.</summary>
    public byte[] PublicKey => (byte[])_hostPublic.Clone();

    /// <summary>
    /// Opens and checks the sealed manifest of an upload; null with a reason if it does not open
    /// (tampered, or sealed for another key, series or device) or does not match its routing.
    /// </summary>
    public SeriesManifest? TryOpenManifest(SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, out string error)
    {
        ArgumentNullException.ThrowIfNull(routing);
        using var key = TryDeriveKey(routing.Sealing, routing.SeriesId, out error);
        if (key is null)
        {
            return null;
        }

        var nonceSize = SeriesSealing.Aead.NonceSize;
        if (sealedManifest.Length <= SeriesSealing.Overhead)
        {
            error = "sealed manifest is too short";
            return null;
        }

        var plaintext = new byte[sealedManifest.Length - SeriesSealing.Overhead];
        if (!SeriesSealing.Aead.Decrypt(key, sealedManifest[..nonceSize], SeriesSealing.ManifestAssociatedData(routing.DeviceId, routing.SeriesId), sealedManifest[nonceSize..], plaintext))
        {
            error = "manifest fails authentication (tampered, or sealed for another key, series or device)";
            return null;
        }

        if (!ProtocolJson.TryDeserialize<SeriesManifest>(plaintext, out var manifest, out error))
        {
            return null;
        }

        var invalid = manifest.Validate()
            ?? (manifest.SeriesId != routing.SeriesId || manifest.DeviceId != routing.DeviceId ? "manifest names another series or device than its routing" : null)
            ?? (manifest.Sealing != routing.Sealing ? "manifest and routing disagree on the sealing" : null)
            ?? (!manifest.Frames.Select(f => f.SealedLength).SequenceEqual(routing.SealedFrameLengths) ? "manifest and routing disagree on the frames" : null);
        if (invalid is not null)
        {
            error = $"invalid manifest: {invalid}";
            return null;
        }

        error = string.Empty;
        return manifest;
    }

    /// <summary>Opens every frame of a series whose manifest has been opened; null with a reason if any frame fails.</summary>
    public byte[][]? TryOpen(SeriesManifest manifest, IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames, out string error)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(sealedFrames);
        if (sealedFrames.Count != manifest.Frames.Length)
        {
            error = $"{sealedFrames.Count} sealed frames for {manifest.Frames.Length} descriptors";
            return null;
        }

        var frames = new byte[manifest.Frames.Length][];
        foreach (var f in manifest.Frames)
        {
            var plaintext = TryOpenFrame(manifest, f.Index, sealedFrames[f.Index].Span, out error);
            if (plaintext is null)
            {
                return null;
            }

            frames[f.Index] = plaintext;
        }

        error = string.Empty;
        return frames;
    }

    /// <summary>
    /// Opens one frame of a series whose manifest has been opened and checks it against the
    /// manifest's digest; null with a reason if it fails. A series is filed a frame at a time with this.
    /// </summary>
    public byte[]? TryOpenFrame(SeriesManifest manifest, int index, ReadOnlySpan<byte> sealedFrame, out string error)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if ((uint)index >= (uint)manifest.Frames.Length)
        {
            error = $"frame {index} is not in the manifest";
            return null;
        }

        if (sealedFrame.Length <= SeriesSealing.Overhead)
        {
            error = $"frame {index} is too short";
            return null;
        }

        // Derived again per frame (one X25519 agreement, microseconds) so that nothing keyed outlives the frame.
        using var key = TryDeriveKey(manifest.Sealing, manifest.SeriesId, out error);
        if (key is null)
        {
            return null;
        }

        var f = manifest.Frames[index];
        var nonceSize = SeriesSealing.Aead.NonceSize;
        var plaintext = new byte[sealedFrame.Length - SeriesSealing.Overhead];
        var ad = SeriesSealing.AssociatedData(manifest.DeviceId, manifest.SeriesId, f.Index, f.Sha256);
        if (!SeriesSealing.Aead.Decrypt(key, sealedFrame[..nonceSize], ad, sealedFrame[nonceSize..], plaintext))
        {
            error = $"frame {index} fails authentication (tampered, or sealed for another key, series or slot)";
            return null;
        }

        if (SeriesSealing.Sha256Hex(plaintext) != f.Sha256)
        {
            Array.Clear(plaintext);
            error = $"frame {index} digest does not match the manifest";
            return null;
        }

        error = string.Empty;
        return plaintext;
    }

    private Key? TryDeriveKey(SealingHeader sealing, string seriesId, out string error)
    {
        byte[] ephemeralPublic;
        try
        {
            ephemeralPublic = Convert.FromBase64String(sealing.EphemeralPublicKey);
        }
        catch (FormatException)
        {
            error = "ephemeral public key is not base64";
            return null;
        }

        if (!NSecPublicKey.TryImport(SeriesSealing.Agreement, ephemeralPublic, KeyBlobFormat.RawPublicKey, out var ephemeral) || ephemeral is null)
        {
            error = "ephemeral public key is not an X25519 key";
            return null;
        }

        using var secret = SeriesSealing.Agreement.Agree(_hostKey, ephemeral);
        if (secret is null)
        {
            error = "X25519 agreement failed";
            return null;
        }

        error = string.Empty;
        return SeriesSealing.DeriveSeriesKey(secret, seriesId, ephemeralPublic, _hostPublic);
    }

    public void Dispose() => _hostKey.Dispose();
}
