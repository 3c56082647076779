using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using NSecPublicKey = NSec.Cryptography.PublicKey;

namespace Appliance.Protocol;

/// <summary>
/// Ed25519 signatures of series by the appliance that captured them. The signed statement
/// covers the routing (series, device, ephemeral key), the SHA-256 of the sealed manifest and
/// each sealed frame's authentication tag: the tags authenticate every ciphertext byte under
/// the series key, so the whole upload is bound without hashing 70 MB again.
/// </summary>
public static class SeriesSigning
{
    private static SignatureAlgorithm Algorithm => SignatureAlgorithm.Ed25519;

    /// <summary>A device signing key pair: the private half goes in the bundle, the public half stays on the host.</summary>
    public static (byte[] PrivateKey, byte[] PublicKey) CreateKeyPair()
    {
        using var key = Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return (key.Export(KeyBlobFormat.RawPrivateKey), key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        using var key = Key.Import(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static string Sign(ReadOnlySpan<byte> privateKey, SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames)
    {
        using var key = Key.Import(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey);
        return Convert.ToBase64String(Algorithm.Sign(key, Statement(routing, sealedManifest, sealedFrames)));
    }

    public static bool Verify(ReadOnlySpan<byte> publicKey, SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames)
    {
        ArgumentNullException.ThrowIfNull(routing);
        if (routing.Signature is null || !NSecPublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(routing.Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return Algorithm.Verify(key, Statement(routing, sealedManifest, sealedFrames), signature);
    }

    /// <summary>Signs any statement (a wipe report) with a device key.</summary>
    public static string SignBytes(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> statement)
    {
        using var key = Key.Import(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey);
        return Convert.ToBase64String(Algorithm.Sign(key, statement));
    }

    public static bool VerifyBytes(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> statement, string? signature)
    {
        if (signature is null || !NSecPublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        try
        {
            return Algorithm.Verify(key, statement, Convert.FromBase64String(signature));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Statement(SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames)
    {
        var text = new StringBuilder("appliance-suite/series-signature/v1\n")
            .Append(routing.SeriesId).Append('\n')
            .Append(routing.DeviceId).Append('\n')
            .Append(routing.Sealing.Algorithm).Append('\n')
            .Append(routing.Sealing.EphemeralPublicKey).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(sealedManifest))).Append('\n');
        foreach (var frame in sealedFrames)
        {
            var tag = frame.Span[^SeriesSealing.TagSize..];
            text.Append(frame.Length).Append(':').Append(Convert.ToHexStringLower(tag)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
