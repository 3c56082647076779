using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Calibration;
using Appliance.Host.Core.Fleet;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.Firmware.Storage.Enrolment;

namespace Appliance.EndToEndTests;

public sealed class CalibrationProfileTransferTests
{
    [Fact]
    public async Task TheHostKeepsTheAppliancesSignedProfile_ShowsItsAge_AndRefusesAForgedOne()
    {
        using var folder = new TempFolder("calibration-transfer");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var sent = suite.ApplianceService<ICalibrationState>().Current!;
        var profiles = suite.HostService<ICalibrationProfiles>();

        await Poll.UntilAsync(async () => await profiles.FindProfileAsync(suite.DeviceId, sent.ProfileId, CancellationToken.None) is not null, "the host keeps the profile");
        var kept = (await profiles.FindProfileAsync(suite.DeviceId, sent.ProfileId, CancellationToken.None))!;
        Assert.Equal(sent.Signature, kept.Signature);
        Assert.All(kept.Rings, r => Assert.InRange(r.DeltaEMeanAfter, 0, 2.0));
        Assert.Single(suite.HostService<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.CalibrationReceived && e.Subject == sent.ProfileId);
        var entry = Assert.Single(suite.HostService<FleetView>().List(), e => e.DeviceId == suite.DeviceId);
        Assert.Equal(sent.CreatedAt, entry.CalibratedAt);
        Assert.Equal(sent.Rings.Max(r => r.DeltaEMeanAfter), entry.CalibrationDeltaE);

        // The same profile signed by another key (and one with its figures changed after signing) is refused.
        var (otherKey, _) = SeriesSigning.CreateKeyPair();
        var receiver = suite.HostService<CalibrationReceiver>();
        var forged = sent with { ProfileId = sent.ProfileId + "-x", Signature = null };
        forged = forged with { Signature = SeriesSigning.SignBytes(otherKey, forged.SignedBytes()) };
        Assert.Contains("not signed", await receiver.ReceiveAsync(suite.DeviceId, ProtocolJson.Serialize(forged), CancellationToken.None));
        var altered = sent with { Rings = [sent.Rings[0] with { DeltaEMeanAfter = 0.01 }, .. sent.Rings[1..]] };
        Assert.Contains("not signed", await receiver.ReceiveAsync(suite.DeviceId, ProtocolJson.Serialize(altered), CancellationToken.None));
        Assert.Contains("another device", await receiver.ReceiveAsync("other-device-01", ProtocolJson.Serialize(sent), CancellationToken.None));
        Assert.Null(await profiles.FindProfileAsync(suite.DeviceId, forged.ProfileId, CancellationToken.None));
    }

    [Fact]
    public async Task AProfileIdHeldByAnotherAppliance_IsRefused_AndItsCorrectionNeverReachesTheVictimsFrames()
    {
        using var folder = new TempFolder("calibration-squat");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var receiver = suite.HostService<CalibrationReceiver>();
        var profiles = suite.HostService<ICalibrationProfiles>();
        var victims = suite.ApplianceService<ICalibrationState>().Current!;
        var squatter = suite.HostService<Appliance.Host.Core.Provisioning.DeviceProvisioner>().Provision("squatter-01", "127.0.0.1", 1);

        // The squatter registers, as its own, the id the victim's next profile will carry.
        var taken = $"{suite.DeviceId}-20300101T000000Z-00000000000000aa";
        var squatted = victims with { ProfileId = taken, DeviceId = "squatter-01", Signature = null, Rings = [.. victims.Rings.Select(r => r with { DeltaEMeanAfter = 0.01 })] };
        squatted = squatted with { Signature = SeriesSigning.SignBytes(Convert.FromBase64String(squatter.SigningPrivateKey), squatted.SignedBytes()) };
        Assert.Null(await receiver.ReceiveAsync("squatter-01", ProtocolJson.Serialize(squatted), CancellationToken.None));

        // The victim's own profile under that id, properly signed, is refused, not silently taken as "already kept".
        var bundle = ProvisioningBundleLoader.Load(Path.Combine(suite.ApplianceDataFolder, "bundle.json"));
        var genuine = victims with { ProfileId = taken, Signature = null };
        genuine = genuine with { Signature = SeriesSigning.SignBytes(Convert.FromBase64String(bundle.SigningPrivateKey), genuine.SignedBytes()) };
        Assert.Contains("already held by another appliance", await receiver.ReceiveAsync(suite.DeviceId, ProtocolJson.Serialize(genuine), CancellationToken.None));

        // A series of the victim's naming that id is never corrected with the squatter's profile.
        Assert.Null(await profiles.FindProfileAsync(suite.DeviceId, taken, CancellationToken.None));
        Assert.Equal("squatter-01", (await profiles.FindProfileAsync("squatter-01", taken, CancellationToken.None))!.DeviceId);
        Assert.Contains(suite.HostService<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.CalibrationRefused && e.Subject == taken && e.Actor == suite.DeviceId);

        // And the ids appliances make cannot be guessed: two in the same second differ.
        var at = DateTimeOffset.UtcNow;
        Assert.NotEqual(CalibrationProfile.NewId(suite.DeviceId, at), CalibrationProfile.NewId(suite.DeviceId, at));
    }

    [Fact]
    public async Task ACalibrationRunStartedFromTheHost_MakesANewProfile_TheHostHoldsItAtOnce_AndTheNextSeriesNamesIt()
    {
        using var folder = new TempFolder("calibration-run");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var before = suite.ApplianceService<ICalibrationState>().Current!;

        var profile = await suite.CalibrateAsync(CancellationToken.None);

        Assert.NotEqual(before.ProfileId, profile.ProfileId);
        Assert.Equal(profile.ProfileId, suite.ApplianceService<ICalibrationState>().Current!.ProfileId);
        Assert.All(profile.Rings, r =>
        {
            Assert.InRange(r.DeltaEMeanAfter, 0, 2.0);
            Assert.InRange(r.DeltaEMaxAfter, 0, 5.0);
            Assert.InRange(Math.Abs(r.PixelsPerMillimetre - new Appliance.Firmware.Devices.Camera.SimulatedOptics().PixelsPerMillimetre(640)) / r.PixelsPerMillimetre, 0, 0.01);
            Assert.NotNull(r.TargetEdgeBlur);
        });
        var entry = Assert.Single(suite.HostService<FleetView>().List(), e => e.DeviceId == suite.DeviceId);
        Assert.Equal(profile.CreatedAt, entry.CalibratedAt);
        var trail = suite.HostService<IAuditTrail>().ReadAll();
        Assert.Contains(trail, e => e.Kind == AuditKinds.CalibrationRequested && e.Subject == suite.DeviceId);
        Assert.Contains(trail, e => e.Kind == AuditKinds.CalibrationReceived && e.Subject == profile.ProfileId);

        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-CAL", "back", ConsentScope.DirectCare, CancellationToken.None);
        var filed = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        Assert.Equal(profile.ProfileId, filed.CalibrationId);

        // Only an enrolled appliance can be asked.
        await Assert.ThrowsAsync<InvalidOperationException>(() => suite.HostService<CalibrationRunService>().RequestAsync("not-enrolled-01", "test", CancellationToken.None));
    }
}
