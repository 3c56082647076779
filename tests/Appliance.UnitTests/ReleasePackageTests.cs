using System.Formats.Tar;
using System.Text;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// Release packages as the release key signs them, and every kind of bad package an appliance
/// or the host must refuse before anything is unpacked: no signature, another key, an altered
/// manifest, a signature made for something else, a tampered or cut payload, the wrong
/// architecture or model, and a correctly signed release below the security floor.
/// </summary>
public sealed class ReleasePackageTests : IDisposable
{
    private static readonly ReleaseTarget Pi4 = new("linux-arm64", "pi4", SecurityFloor: 3);
    private readonly TempFolder _folder = new("release-package");
    private readonly (byte[] PrivateKey, byte[] PublicKey) _key = ReleasePackage.CreateKeyPair();
    private readonly string _firmware;

    public ReleasePackageTests()
    {
        _firmware = Directory.CreateDirectory(_folder.Combine("publish")).FullName;
        File.WriteAllText(Path.Combine(_firmware, "Appliance.Firmware"), "#!/bin/sh\necho firmware 1.4.0\n");
        File.WriteAllBytes(Path.Combine(_firmware, "Appliance.Firmware.dll"), Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray());
    }

    private ReleaseTrust Trust => new([_key.PublicKey]);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ASignedRelease_IsAccepted_WithItsManifest_AndTheKeyThatSignedIt()
    {
        var path = Create(Manifest());
        var check = ReleaseVerifier.Verify(path, Trust, Pi4);

        Assert.True(check.Accepted, check.Reason);
        Assert.Equal("1.4.0", check.Manifest!.Version);
        Assert.Equal(ReleaseManifest.KeyIdOf(_key.PublicKey), check.Manifest.KeyId);
        Assert.True(check.Manifest.PayloadSize > 200_000);
        Assert.Equal($"1.4.0 for linux-arm64, signed by release key {check.Manifest.KeyId}", check.Reason);
        // At the floor is fine; the host, checking without a target, accepts it too.
        Assert.True(ReleaseVerifier.Verify(path, Trust, Pi4 with { SecurityFloor = 4 }).Accepted);
        Assert.True(ReleaseVerifier.Verify(path, Trust, null).Accepted);
    }

    [Fact]
    public void APackageWithoutASignature_IsRefused()
    {
        var path = Rewrite(Create(Manifest()), (name, _) => name == ReleasePackage.SignatureEntry ? null : _);
        Assert.Equal(ReleaseRefusal.NoSignature, ReleaseVerifier.Verify(path, Trust, Pi4).Refusal);
    }

    [Fact]
    public void APackageSignedWithAnotherKey_IsRefused_NamingTheKey()
    {
        var other = ReleasePackage.CreateKeyPair();
        var path = Create(Manifest(), other.PrivateKey);
        var check = ReleaseVerifier.Verify(path, Trust, Pi4);
        Assert.Equal(ReleaseRefusal.UnknownKey, check.Refusal);
        Assert.Contains(ReleaseManifest.KeyIdOf(other.PublicKey), check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAlteredManifest_FailsItsSignature()
    {
        // The floor raised and the architecture widened after signing, as an attacker would to push an old build.
        var path = Rewrite(Create(Manifest()), (name, content) => name == ReleasePackage.ManifestEntry
            ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content!).Replace("\"securityFloor\":4", "\"securityFloor\":9", StringComparison.Ordinal))
            : content);
        Assert.Equal(ReleaseRefusal.BadSignature, ReleaseVerifier.Verify(path, Trust, Pi4).Refusal);
    }

    [Fact]
    public void ASignatureByTheReleaseKeyOverTheBareManifest_DoesNotPassForARelease()
    {
        // The release key's signature over the manifest without the release domain (as it would sign anything else).
        var path = Rewrite(Create(Manifest()), (name, content) => name == ReleasePackage.SignatureEntry ? null : content, appendAfterManifest: manifest =>
            Encoding.ASCII.GetBytes(SeriesSigning.SignBytes(_key.PrivateKey, manifest)));
        Assert.Equal(ReleaseRefusal.BadSignature, ReleaseVerifier.Verify(path, Trust, Pi4).Refusal);
    }

    [Fact]
    public void ATamperedPayload_IsRefused_BeforeAnythingIsUnpacked()
    {
        var path = Rewrite(Create(Manifest()), (name, content) =>
        {
            if (name == ReleasePackage.PayloadEntry)
            {
                content![^600] ^= 0x01;
            }

            return content;
        });
        var check = ReleaseVerifier.Verify(path, Trust, Pi4);
        Assert.Equal(ReleaseRefusal.Tampered, check.Refusal);
        Assert.Contains("not the", check.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.97)]
    [InlineData(0.0005)]
    public void APackageCutShort_IsRefused_AsUnreadable(double kept)
    {
        var path = Create(Manifest());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * kept)]);
        var check = ReleaseVerifier.Verify(path, Trust, Pi4);
        Assert.False(check.Accepted);
        Assert.True(check.Refusal is ReleaseRefusal.Unreadable or ReleaseRefusal.Tampered, $"{check.Refusal}: {check.Reason}");
    }

    [Fact]
    public void TheWrongArchitectureOrModel_IsRefused()
    {
        var path = Create(Manifest() with { Architecture = "linux-x64" });
        Assert.Equal(ReleaseRefusal.WrongArchitecture, ReleaseVerifier.Verify(path, Trust, Pi4).Refusal);
        var pi5Only = Create(Manifest() with { Models = ["pi5"] }, name: "pi5.release");
        Assert.Equal(ReleaseRefusal.WrongModel, ReleaseVerifier.Verify(pi5Only, Trust, Pi4).Refusal);
    }

    [Fact]
    public void ACorrectlySignedOldRelease_BelowTheFloor_IsRefusedAsADowngrade()
    {
        var path = Create(Manifest() with { Version = "1.2.0", SecurityFloor = 2 });
        var check = ReleaseVerifier.Verify(path, Trust, Pi4);
        Assert.Equal(ReleaseRefusal.BelowFloor, check.Refusal);
        Assert.Equal("1.2.0 is at security floor 2, below this appliance's 3: a downgrade", check.Reason);
    }

    [Fact]
    public void AReleaseWritingAnOlderStoreFormat_IsRefusedUpFront_WhenTheStoreIsAlreadyNewer()
    {
        var path = Create(Manifest() with { StoreFormat = 1 });
        Assert.True(ReleaseVerifier.Verify(path, Trust, Pi4 with { StoreFormat = 1 }).Accepted);
        var check = ReleaseVerifier.Verify(path, Trust, Pi4 with { StoreFormat = 2 });
        Assert.Equal(ReleaseRefusal.OlderStoreFormat, check.Refusal);
        Assert.Contains("writes store format 1, and this appliance's store is already format 2", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AManifestThatCannotDescribeARelease_IsNotSigned()
    {
        Assert.Throws<ArgumentException>(() => Create(Manifest() with { Version = "1.4" }));
        Assert.Throws<ArgumentException>(() => Create(Manifest() with { Models = [] }));
    }

    [Fact]
    public void ABundlesReleaseKeys_MustBeEd25519PublicKeys()
    {
        var bundle = new ProvisioningBundle(ProvisioningBundle.CurrentVersion, "clinic-a-01", "cert", "key", "ca", "c2VhbA==", "127.0.0.1", 8883, "c2VjcmV0", "c2lnbg==", "aG9zdA==");
        Assert.Null(bundle.Validate());
        Assert.Null((bundle with { ReleaseKeys = [Convert.ToBase64String(_key.PublicKey)] }).Validate());
        Assert.Equal("a release key is not a base64 Ed25519 public key", (bundle with { ReleaseKeys = [Convert.ToBase64String(new byte[31])] }).Validate());
        Assert.Equal("a release key is not a base64 Ed25519 public key", (bundle with { ReleaseKeys = ["not base64!"] }).Validate());
    }

    private static ReleaseManifest Manifest() => new(
        ReleaseManifest.CurrentFormat, "1.4.0", 4, "linux-arm64", ["pi4", "pi5"], 0, string.Empty, new DateOnly(2028, 12, 31), 2, "Fixes the focus check on dark skin.", string.Empty);

    private string Create(ReleaseManifest manifest, byte[]? privateKey = null, string name = "firmware.release")
    {
        var path = _folder.Combine(name);
        ReleasePackage.Create(_firmware, manifest, privateKey ?? _key.PrivateKey, path);
        return path;
    }

    /// <summary>Writes the package again with each entry's content passed through <paramref name="change"/> (null drops it).</summary>
    private string Rewrite(string path, Func<string, byte[]?, byte[]?> change, Func<byte[], byte[]>? appendAfterManifest = null)
    {
        var entries = new List<(string Name, byte[] Content)>();
        using (var file = File.OpenRead(path))
        using (var reader = new TarReader(file))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                entries.Add((entry.Name, content.ToArray()));
            }
        }

        var rewritten = _folder.Combine($"rewritten-{Guid.NewGuid():N}.release");
        using (var output = File.Create(rewritten))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            foreach (var (name, content) in entries)
            {
                if (change(name, content) is { } kept)
                {
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(kept) });
                }

                if (name == ReleasePackage.ManifestEntry && appendAfterManifest is not null)
                {
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ReleasePackage.SignatureEntry) { DataStream = new MemoryStream(appendAfterManifest(content)) });
                }
            }
        }

        return rewritten;
    }
}
