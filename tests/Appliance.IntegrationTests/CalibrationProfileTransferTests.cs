using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Calibration;
using Appliance.Host.Core.Fleet;
using Appliance.Protocol;
using Appliance.TestKit;

namespace Appliance.IntegrationTests;

public sealed class CalibrationProfileTransferTests
{
    [Fact]
    public async Task TheHostKeepsTheAppliancesSignedProfile_ShowsItsAge_AndRefusesAForgedOne()
    {
        using var folder = new TempFolder("calibration-transfer");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var sent = suite.ApplianceService<ICalibrationState>().Current!;
        var profiles = suite.HostService<ICalibrationProfiles>();

        await Poll.UntilAsync(async () => await profiles.FindProfileAsync(sent.ProfileId, CancellationToken.None) is not null, "the host keeps the profile");
        var kept = (await profiles.FindProfileAsync(sent.ProfileId, CancellationToken.None))!;
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
        Assert.Null(await profiles.FindProfileAsync(forged.ProfileId, CancellationToken.None));
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
            Assert.NotNull(r.FocusBaseline);
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
