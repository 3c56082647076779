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
        return Convert.ToBase64String(Algorithm.Sign(key, Statement(routing, sealedManifest, [.. sealedFrames.Select(f => f.Length)], [.. sealedFrames.Select(f => f[^SeriesSealing.TagSize..])])));
    }

    public static bool Verify(ReadOnlySpan<byte> publicKey, SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, IReadOnlyList<ReadOnlyMemory<byte>> sealedFrames)
    {
        ArgumentNullException.ThrowIfNull(sealedFrames);
        if (routing is null || sealedFrames.Count != routing.SealedFrameLengths.Length
            || sealedFrames.Where((f, i) => f.Length != routing.SealedFrameLengths[i] || f.Length < SeriesSealing.TagSize).Any())
        {
            return false;
        }

        return VerifyTags(publicKey, routing, sealedManifest, [.. sealedFrames.Select(f => f[^SeriesSealing.TagSize..])]);
    }

    /// <summary>
    /// Verifies a series' signature from its frames' authentication tags alone (the lengths come
    /// from the routing), so that a series on disk is verified without reading its frames.
    /// </summary>
    public static bool VerifyTags(ReadOnlySpan<byte> publicKey, SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, IReadOnlyList<ReadOnlyMemory<byte>> frameTags)
    {
        ArgumentNullException.ThrowIfNull(routing);
        ArgumentNullException.ThrowIfNull(frameTags);
        if (frameTags.Count != routing.SealedFrameLengths.Length || frameTags.Any(t => t.Length != SeriesSealing.TagSize))
        {
            return false;
        }

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

        return Algorithm.Verify(key, Statement(routing, sealedManifest, routing.SealedFrameLengths, frameTags), signature);
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

    private static byte[] Statement(SeriesRouting routing, ReadOnlySpan<byte> sealedManifest, int[] frameLengths, IReadOnlyList<ReadOnlyMemory<byte>> frameTags)
    {
        var text = new StringBuilder("appliance-suite/series-signature/v1\n")
            .Append(routing.SeriesId).Append('\n')
            .Append(routing.DeviceId).Append('\n')
            .Append(routing.Sealing.Algorithm).Append('\n')
            .Append(routing.Sealing.EphemeralPublicKey).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(sealedManifest))).Append('\n');
        for (var i = 0; i < frameTags.Count; i++)
        {
            text.Append(frameLengths[i]).Append(':').Append(Convert.ToHexStringLower(frameTags[i].Span)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
