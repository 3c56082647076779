using System.Text;
using Appliance.Firmware.Updates;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Releases;
using Appliance.Host.Core.Rollouts;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// Release key rotation: a rotation takes effect only if the keys in force sign it (to their
/// threshold) and the new keys sign it too, only in sequence (never replayed, never skipped); an
/// appliance keeps what it accepted across restarts and re-checks it from its bundle; the host
/// accepts only what its keys sign, stops trusting the old key for imports, puts the new set in
/// new bundles and the rotations in every update order.
/// </summary>
public sealed class ReleaseKeyRotationTests : IDisposable
{
    private readonly TempFolder _folder = new("key-rotation");
    private readonly (byte[] Private, byte[] Public) _first = ReleasePackage.CreateKeyPair();
    private readonly (byte[] Private, byte[] Public) _second = ReleasePackage.CreateKeyPair();
    private readonly (byte[] Private, byte[] Public) _third = ReleasePackage.CreateKeyPair();

    public void Dispose() => _folder.Dispose();

    private ReleaseKeySet Enrolled => new(0, [_first.Public], 1);

    private static ReleaseKeyRotation Rotation(int sequence, int threshold, params byte[][] publicKeys) =>
        new(ReleaseKeyRotation.CurrentFormat, sequence, [.. publicKeys.Select(Convert.ToBase64String)], threshold, DateTimeOffset.UnixEpoch, "test");

    [Fact]
    public void ARotationSignedByTheKeyInForce_AndByTheNewKey_LeadsToTheNewSet()
    {
        var signed = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_first.Private, _second.Private]);
        var (next, refusal) = ReleaseKeyRotations.Check(Enrolled, signed);

        Assert.Null(refusal);
        Assert.Equal(1, next!.Sequence);
        Assert.Equal([ReleaseManifest.KeyIdOf(_second.Public)], next.KeyIds);
        // Packages follow the set: the new key's are trusted, the old key's no longer.
        Assert.NotNull(next.Trust.Find(ReleaseManifest.KeyIdOf(_second.Public)));
        Assert.Null(next.Trust.Find(ReleaseManifest.KeyIdOf(_first.Public)));
    }

    [Fact]
    public void ARotationNotSignedByTheKeysInForce_OrNotByItsNewKeys_IsRefused()
    {
        // Whoever holds only the new key (or the host) cannot make it trusted.
        var byNewOnly = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_second.Private]);
        Assert.Equal("signed by 0 of the trusted release keys, and it takes 1", ReleaseKeyRotations.Check(Enrolled, byNewOnly).Refusal);

        // A key the new set names must sign: nobody can rotate the fleet to a key nobody holds.
        var byOldOnly = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_first.Private]);
        Assert.StartsWith("signed by 0 of the new keys, and it takes 1", ReleaseKeyRotations.Check(Enrolled, byOldOnly).Refusal, StringComparison.Ordinal);

        // A signature made for the manifest of a release is not one over a rotation.
        var json = Convert.FromBase64String(byOldOnly.Rotation);
        var releaseStyle = SeriesSigning.SignBytes(_first.Private, ReleasePackage.Statement(json));
        var forged = new SignedKeyRotation(byOldOnly.Rotation, [new(ReleaseManifest.KeyIdOf(_first.Public), releaseStyle), new(ReleaseManifest.KeyIdOf(_second.Public), SeriesSigning.SignBytes(_second.Private, ReleasePackage.Statement(json)))]);
        Assert.StartsWith("signed by 0 of the trusted", ReleaseKeyRotations.Check(Enrolled, forged).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void ARotationAlteredAfterSigning_IsRefused()
    {
        var signed = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public, _third.Public), [_first.Private, _second.Private]);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(signed.Rotation));
        // The threshold raised: one byte of what the keys signed.
        var altered = json.Replace("\"threshold\":1", "\"threshold\":2", StringComparison.Ordinal);
        Assert.NotEqual(json, altered);

        var refusal = ReleaseKeyRotations.Check(Enrolled, signed with { Rotation = Convert.ToBase64String(Encoding.UTF8.GetBytes(altered)) }).Refusal;
        Assert.StartsWith("signed by 0 of the trusted", refusal, StringComparison.Ordinal);
        Assert.Equal("the rotation does not read", ReleaseKeyRotations.Check(Enrolled, signed with { Rotation = Convert.ToBase64String("{\"format\":"u8) }).Refusal?[..26]);
    }

    [Fact]
    public void RotationsApplyOnlyInSequence_AnOldOneIsPassedOver_AndAGapStopsTheChain()
    {
        var one = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_first.Private, _second.Private]);
        var two = ReleaseKeyRotations.Sign(Rotation(2, 1, _third.Public), [_second.Private, _third.Private]);

        var (set, applied, refusal) = ReleaseKeyRotations.Apply(Enrolled, [one, two]);
        Assert.Null(refusal);
        Assert.Equal((2, 2), (set.Sequence, applied.Count));

        // Played again once applied: passed over, the set stays.
        (set, applied, refusal) = ReleaseKeyRotations.Apply(set, [one, two]);
        Assert.Equal((2, 0, null), (set.Sequence, applied.Count, refusal));

        // The second without the first: it does not follow the enrolled set.
        (set, applied, refusal) = ReleaseKeyRotations.Apply(Enrolled, [two]);
        Assert.Equal((0, 0), (set.Sequence, applied.Count));
        Assert.Equal("key rotation 2 refused: rotation 2 does not follow key set 0", refusal);
    }

    [Fact]
    public void AThresholdOfTwo_TakesTwoOfTheKeysInForce_ToRotateAway()
    {
        var pair = ReleaseKeyRotations.Sign(Rotation(1, 2, _first.Public, _second.Public), [_first.Private, _second.Private]);
        var (two, _, refusal) = ReleaseKeyRotations.Apply(Enrolled, [pair]);
        Assert.Null(refusal);
        Assert.Equal(2, two.Threshold);

        // One stolen key of the two cannot move the fleet to the thief's key.
        var stolen = ReleaseKeyRotations.Sign(Rotation(2, 1, _third.Public), [_first.Private, _third.Private]);
        Assert.Equal("signed by 1 of the trusted release keys, and it takes 2", ReleaseKeyRotations.Check(two, stolen).Refusal);
        var both = ReleaseKeyRotations.Sign(Rotation(2, 1, _third.Public), [_first.Private, _second.Private, _third.Private]);
        Assert.Null(ReleaseKeyRotations.Check(two, both).Refusal);
        Assert.Equal("threshold 3 is not between 1 and the 2 keys", Rotation(1, 3, _first.Public, _second.Public).Validate());
    }

    [Fact]
    public void TheAppliancesRing_KeepsWhatItAccepted_ChecksItAgainAtStart_AndARefusalLeavesItAsItWas()
    {
        var root = _folder.Combine("opt");
        var one = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_first.Private, _second.Private]);
        var ring = new ReleaseKeyRing(Enrolled, root);
        Assert.Null(ring.Apply([one]));
        Assert.Equal(1, ring.Current.Sequence);

        // A restart (or the next release) reads it back, checked from the bundle's keys.
        Assert.Equal(1, new ReleaseKeyRing(Enrolled, root).Current.Sequence);
        // A forged rotation is refused and changes nothing, on disk or in force.
        var forged = ReleaseKeyRotations.Sign(Rotation(2, 1, _third.Public), [_third.Private]);
        Assert.StartsWith("key rotation 2 refused: signed by 0", ring.Apply([one, forged]), StringComparison.Ordinal);
        Assert.Equal(1, new ReleaseKeyRing(Enrolled, root).Current.Sequence);

        // A file changed under the appliance gains nothing: what does not verify from the bundle is not trusted.
        var path = Path.Combine(root, ReleaseKeyRing.FileName);
        File.WriteAllBytes(path, ProtocolJson.Serialize(new List<SignedKeyRotation> { forged }));
        Assert.Equal(0, new ReleaseKeyRing(Enrolled, root).Current.Sequence);
        File.WriteAllText(path, "{ not json");
        Assert.Equal(0, new ReleaseKeyRing(Enrolled, root).Current.Sequence);

        // Enrolled again from a host already past rotation 1: its bundle starts there, the kept rotation is passed over.
        File.WriteAllBytes(path, ProtocolJson.Serialize(new List<SignedKeyRotation> { one }));
        var reEnrolled = new ReleaseKeyRing(new ReleaseKeySet(1, [_second.Public], 1), root);
        Assert.Equal((1, ReleaseManifest.KeyIdOf(_second.Public)), (reEnrolled.Current.Sequence, reEnrolled.Current.KeyIds.Single()));
    }

    [Fact]
    public async Task TheHost_AcceptsOnlyWhatItsKeysSign_TrustsTheNewKeyAlone_AndHandsTheRotationsOn()
    {
        using var host = new HostCoreHarness(new Dictionary<string, string?> { ["Updates:ChunkSize"] = "4096" });
        var library = host.Service<ReleaseLibrary>();
        library.Trust(_first.Public, "admin");
        var payload = Directory.CreateDirectory(_folder.Combine("payload")).FullName;
        File.WriteAllBytes(Path.Combine(payload, "Appliance.Firmware"), [.. Enumerable.Range(0, 10_000).Select(i => (byte)i)]);

        var forged = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_second.Private]);
        Assert.StartsWith("signed by 0 of the trusted", library.ImportRotation(forged, "admin").Refusal, StringComparison.Ordinal);
        var one = ReleaseKeyRotations.Sign(Rotation(1, 1, _second.Public), [_first.Private, _second.Private]);
        Assert.Equal(1, library.ImportRotation(one, "admin").Set?.Sequence);
        Assert.Equal("rotation 1 does not follow key set 1", library.ImportRotation(one, "admin").Refusal);
        Assert.Throws<InvalidOperationException>(() => library.Trust(_third.Public, "admin"));

        // Imports follow the new set: the old key's packages are refused, the new key's kept.
        Assert.Equal(ReleaseRefusal.UnknownKey, library.Import(Package(payload, "2.0.0", _first.Private), "admin").Refusal);
        Assert.True(library.Import(Package(payload, "2.0.1", _second.Private), "admin").Accepted);

        // A new appliance is enrolled at set 1; an order carries the rotation for those enrolled before it.
        var bundle = host.Service<DeviceProvisioner>().Provision("clinic-rot-01", "127.0.0.1", 8883);
        Assert.Equal((1, 1), (bundle.ReleaseKeySequence, bundle.ReleaseKeyThreshold));
        Assert.Equal([Convert.ToBase64String(_second.Public)], bundle.ReleaseKeys ?? []);
        host.Service<Host.Core.Fleet.FleetState>().Record(new ApplianceStatus("clinic-rot-01", ApplianceState.Online, "1.0.0", 0, DateTimeOffset.UtcNow));
        host.Service<RolloutControl>().Start(new RolloutRequest("2.0.1", "linux-arm64", []), "admin");
        await host.Service<RolloutDriver>().TickAsync(CancellationToken.None);
        var order = host.Publisher.Snapshot().Select(m => ProtocolJson.TryDeserialize<HostCommand>(m.Payload, out var c, out _) ? c : null).Single(c => c?.Kind == HostCommand.UpdateKind)!.Update!;
        Assert.Equal([one.Rotation], order.KeyRotations!.Select(r => r.Rotation));

        var kinds = host.Service<IAuditTrail>().ReadAll().Select(e => e.Kind).ToList();
        Assert.Equal(2, kinds.Count(k => k == AuditKinds.ReleaseRotationRefused));
        Assert.Single(kinds, AuditKinds.ReleaseKeysRotated);
    }

    private string Package(string payload, string version, byte[] key)
    {
        var path = _folder.Combine($"{version}.release");
        ReleasePackage.Create(payload, new ReleaseManifest(ReleaseManifest.CurrentFormat, version, 1, "linux-arm64", ["pi4"], 0, string.Empty, new DateOnly(2028, 1, 1), 1, string.Empty, string.Empty), key, path);
        return path;
    }
}
