using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Protocol.Releases;

/// <summary>
/// A firmware release as one file: a tar of <c>manifest.json</c>, <c>manifest.sig</c> (the
/// release key's Ed25519 signature over a domain prefix and the manifest's exact bytes) and
/// <c>payload.tar</c> (the self-contained firmware folder). The manifest comes first, so a
/// package is judged by its signature before its payload is read, and the payload by its digest
/// before any of it is unpacked.
/// </summary>
public static class ReleasePackage
{
    public const string ManifestEntry = "manifest.json";
    public const string SignatureEntry = "manifest.sig";
    public const string PayloadEntry = "payload.tar";

    // The same algorithm signs series and wipe reports with other keys; the prefix keeps a release
    // signature from ever passing for one of those, and the reverse.
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("appliance-suite/release-manifest/v1\n");

    /// <summary>A release key pair, made offline: the private half signs, the public half goes in every bundle.</summary>
    public static (byte[] PrivateKey, byte[] PublicKey) CreateKeyPair() => SeriesSigning.CreateKeyPair();

    /// <summary>What the release key signs: the domain prefix and the manifest exactly as stored.</summary>
    public static byte[] Statement(ReadOnlySpan<byte> manifestJson) => [.. Domain, .. manifestJson];

    /// <summary>
    /// Packs <paramref name="firmwareFolder"/> as the payload, completes the manifest with its size,
    /// digest and the signing key's id, signs it and writes the package to <paramref name="outputPath"/>.
    /// </summary>
    public static ReleaseManifest Create(string firmwareFolder, ReleaseManifest manifest, ReadOnlySpan<byte> privateKey, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var payload = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputPath))!, $".{Path.GetFileName(outputPath)}.payload-{Guid.NewGuid():N}");
        try
        {
            TarFile.CreateFromDirectory(firmwareFolder, payload, includeBaseDirectory: false);
            long size;
            string digest;
            using (var read = File.OpenRead(payload))
            {
                size = read.Length;
                digest = Convert.ToHexStringLower(SHA256.HashData(read));
            }

            var complete = manifest with { PayloadSize = size, PayloadSha256 = digest, KeyId = ReleaseManifest.KeyIdOf(SeriesSigning.PublicKeyOf(privateKey)) };
            if (complete.Validate() is { } invalid)
            {
                throw new ArgumentException($"the manifest cannot describe a release: {invalid}", nameof(manifest));
            }

            var json = ProtocolJson.Serialize(complete);
            var signature = SeriesSigning.SignBytes(privateKey, Statement(json));
            using var output = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write);
            using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
            {
                Write(writer, ManifestEntry, new MemoryStream(json));
                Write(writer, SignatureEntry, new MemoryStream(Encoding.ASCII.GetBytes(signature)));
                using var payloadStream = File.OpenRead(payload);
                Write(writer, PayloadEntry, payloadStream);
            }

            output.Flush(flushToDisk: true);
            return complete;
        }
        finally
        {
            File.Delete(payload);
        }
    }

    private static void Write(TarWriter writer, string name, Stream content)
    {
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = content, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
    }
}
