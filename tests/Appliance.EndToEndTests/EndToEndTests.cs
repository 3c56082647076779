using System.Device.Gpio;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Users;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

/// <summary>
/// The clinic's journey through the whole system on loopback (host, broker, simulated appliance):
/// run with the host's state in its data folder (the embedded default) and in PostgreSQL.
/// </summary>
public abstract class EndToEndTests(SuiteFixture fixture)
{
    private EmbeddedSuite Suite => fixture.Suite;

    [Fact]
    public async Task CapturePressed_IsFiledOverMutualTls_VerifiedAndDeletedFromTheAppliance()
    {
        var job = await Suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-1", "left forearm", ConsentScope.DirectCareAndTeaching, CancellationToken.None);

        var cycle = await Suite.PressAndWaitFiledAsync(CancellationToken.None);

        // Filed against the right patient, though the appliance only ever saw the episode code.
        var archive = Suite.HostService<ISeriesArchive>();
        var filed = await archive.FindAsync(cycle.Filed.SeriesId, CancellationToken.None);
        Assert.NotNull(filed);
        Assert.Equal("TEST-PATIENT-1", filed.PatientId);
        Assert.Equal(job.EpisodeCode, filed.EpisodeCode);
        Assert.Equal(ConsentScope.DirectCareAndTeaching, filed.ConsentScope);
        Assert.Equal([LightingMode.CrossPolarised, LightingMode.NonPolarised], filed.Frames.Select(f => f.Lighting));
        // Taken under the appliance's current calibration profile, and named in the series.
        Assert.Equal(Suite.ApplianceService<ICalibrationState>().Current!.ProfileId, filed.CalibrationId);

        // The archive opens to exactly what the camera saw.
        var capture = Suite.ApplianceService<IOptions<CaptureOptions>>().Value;
        var truth = SimulatedCamera.Render(Suite.Camera.Scene, LightingMode.CrossPolarised, capture.Width, capture.Height, false);
        var stored = await archive.ReadFrameAsync(filed.SeriesId, 0, CancellationToken.None);
        Assert.Equal(truth.Pixels, stored);

        // The appliance deleted its copy only after the receipt, and holds nothing now.
        Assert.Equal(0, await Suite.ApplianceService<ISeriesStore>().CountAsync(CancellationToken.None));

        // No pixel in the clear anywhere on disk, on either side (the database's files too), nor the patient.
        foreach (var folder in await fixture.FoldersHoldingStateAsync())
        {
            Assert.False(PlaintextScan.AnyFound(folder, [.. PlaintextScan.Markers(truth.Pixels), "TEST-PATIENT-1"u8.ToArray()]), folder);
        }


        // The audit trail records the job and the filing, stays intact, and names no patient.
        var trail = Suite.HostService<IAuditTrail>();
        var entries = trail.ReadAll();
        Assert.Contains(entries, e => e.Kind == AuditKinds.JobCreated && e.Subject == job.JobId);
        Assert.Contains(entries, e => e.Kind == AuditKinds.SeriesFiled && e.Subject == cycle.Filed.SeriesId);
        Assert.True(AuditVerifier.Verify(entries, trail.ReadHead()).Intact);
        Assert.DoesNotContain(entries, e => $"{e.Subject} {e.Details}".Contains("TEST-PATIENT-1", StringComparison.Ordinal));

        // The host's logs hold the pseudonymous episode code at most; the appliance's, which stay in a
        // journal on its card after a wipe, not even that: never the patient, the body site or pixels.
        Assert.Contains(fixture.Logs.Entries, e => e.Category.StartsWith("Appliance.Host", StringComparison.Ordinal) && e.Message.Contains(job.EpisodeCode, StringComparison.Ordinal));
        Assert.Contains(fixture.Logs.Entries, e => e.Category.StartsWith("Appliance.Firmware", StringComparison.Ordinal) && e.Message.Contains(job.JobId, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Category.StartsWith("Appliance.Firmware", StringComparison.Ordinal) && e.Message.Contains(job.EpisodeCode, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Message.Contains("TEST-PATIENT-1", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Category.StartsWith("Appliance.Firmware", StringComparison.Ordinal) && e.Message.Contains("left forearm", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Message.Length > 2000); // nothing the size of image data

        // Rings: polarised then non-polarised, never together, both off at the end.
        var pins = Suite.ApplianceService<IOptions<PinMapOptions>>().Value;
        var driver = Suite.ApplianceService<SimulatedGpioDriver>();
        var ringOns = driver.Timeline.Where(w => w.Value == PinValue.High && (w.Pin == pins.CrossPolarisedRingPin || w.Pin == pins.NonPolarisedRingPin)).Select(w => w.Pin).ToList();
        Assert.Equal([pins.CrossPolarisedRingPin, pins.NonPolarisedRingPin], ringOns.TakeLast(2));
        Assert.Equal(PinValue.Low, driver.ValueOf(pins.CrossPolarisedRingPin));
        Assert.Equal(PinValue.Low, driver.ValueOf(pins.NonPolarisedRingPin));
    }

    [Fact]
    public async Task JobWithAnIdentifyingBodySite_IsRefusedByTheHost_AndByTheApplianceIfItGetsThrough()
    {
        var jobs = Suite.HostService<CaptureJobService>();
        var refusal = await Assert.ThrowsAsync<CaptureJobRefusedException>(() =>
            jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(Suite.DeviceId, "TEST-PATIENT-2", "left arm 943 476 5919", ConsentScope.DirectCare), "test", CancellationToken.None));
        Assert.Contains("NHS number", refusal.Message);

        // A host bug: a signed command the host should not have sent. The appliance checks again, stays unarmed and says why.
        var fleet = Suite.HostService<FleetState>();
        var publisher = Suite.HostService<IDeviceMessagePublisher>();
        var signer = Suite.HostService<Appliance.Host.Core.Orders.HostCommandSigner>();
        var refused = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.State == ApplianceState.Refused && s.JobId == "buggy-job-1");
        var job = new CaptureJob("buggy-job-1", EpisodeCodes.New(), "back Jane Doe", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5));
        await publisher.PublishAsync(ApplianceTopics.Command(Suite.DeviceId), ProtocolJson.Serialize(signer.Sign(new HostCommand(HostCommand.CaptureJobKind, job), Suite.DeviceId, job.ExpiresAt)), CancellationToken.None);

        var status = await refused.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("not an anatomical term", status.Reason);
        Assert.DoesNotContain("Jane", status.Reason, StringComparison.Ordinal);
        Assert.NotEqual(CaptureState.Armed, Suite.ApplianceService<CaptureCoordinator>().State);
    }

    [Fact]
    public async Task ForgedReplayedAndExpiredCommands_ArmNothing_AndStartNoCalibration()
    {
        var fleet = Suite.HostService<FleetState>();
        var publisher = Suite.HostService<IDeviceMessagePublisher>();
        var signer = Suite.HostService<Appliance.Host.Core.Orders.HostCommandSigner>();
        var coordinator = Suite.ApplianceService<CaptureCoordinator>();
        var now = DateTimeOffset.UtcNow;
        async Task<string?> RefusalOfAsync(string jobId, HostCommand command)
        {
            var refused = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.State == ApplianceState.Refused && s.JobId == jobId);
            await publisher.PublishAsync(ApplianceTopics.Command(Suite.DeviceId), ProtocolJson.Serialize(command), CancellationToken.None);
            return (await refused.WaitAsync(TimeSpan.FromSeconds(10))).Reason;
        }

        CaptureJob Job(string id) => new(id, EpisodeCodes.New(), "back", ConsentScope.DirectCareAndTeaching, now, now.AddMinutes(5));

        // What a broker that sees jobs in clear could send: unsigned, or signed by a key that is not the host's.
        Assert.Contains("not signed by this appliance's host", await RefusalOfAsync("forged-job-1", new HostCommand(HostCommand.CaptureJobKind, Job("forged-job-1"))));
        var (otherKey, _) = SeriesSigning.CreateKeyPair();
        var reSigned = signer.Sign(new HostCommand(HostCommand.CaptureJobKind, Job("forged-job-2")), Suite.DeviceId, now.AddMinutes(5));
        reSigned = reSigned with { Signature = SeriesSigning.SignBytes(otherKey, (reSigned with { Signature = null }).SignedBytes()) };
        Assert.Contains("not signed by this appliance's host", await RefusalOfAsync("forged-job-2", reSigned));

        // A genuine command played again, and one held back past its expiry.
        var genuine = signer.Sign(new HostCommand(HostCommand.CaptureJobKind, Job("replayed-job-1")), Suite.DeviceId, now.AddMinutes(5));
        var armed = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.State == ApplianceState.Armed && s.JobId == "replayed-job-1");
        await publisher.PublishAsync(ApplianceTopics.Command(Suite.DeviceId), ProtocolJson.Serialize(genuine), CancellationToken.None);
        await armed.WaitAsync(TimeSpan.FromSeconds(10));
        await coordinator.CancelAsync(CancellationToken.None);
        Assert.Contains("replayed", await RefusalOfAsync("replayed-job-1", genuine));
        var stale = signer.Sign(new HostCommand(HostCommand.CaptureJobKind, Job("stale-job-1")), Suite.DeviceId, now.AddSeconds(-1));
        Assert.Contains("expired", await RefusalOfAsync("stale-job-1", stale));

        // A forged calibration request starts no run: refused (and logged) before it is read.
        int Unsigned() => fixture.Logs.Entries.Count(e => e.Category.StartsWith("Appliance.Firmware", StringComparison.Ordinal) && e.Message.Contains("not signed by this appliance's host", StringComparison.Ordinal));
        var before = Unsigned();
        var forgedRun = new HostCommand(HostCommand.CalibrateKind, null, new CalibrationRequest(Guid.NewGuid().ToString("N"), now, now.AddMinutes(5)));
        await publisher.PublishAsync(ApplianceTopics.Command(Suite.DeviceId), ProtocolJson.Serialize(forgedRun), CancellationToken.None);
        await Poll.UntilAsync(() => Unsigned() > before, "the forged calibration request refused");
        Assert.NotEqual(CaptureState.Calibrating, coordinator.State);
        Assert.NotEqual(CaptureState.Armed, coordinator.State);
    }

    [Fact]
    public async Task LongPress_CancelsTheArmedJob_TheHostHearsOfIt_AndNothingIsCaptured()
    {
        var job = await Suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-CANCEL", "scalp", ConsentScope.DirectCare, CancellationToken.None);
        var fleet = Suite.HostService<FleetState>();
        var cancelled = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.State == ApplianceState.Cancelled && s.JobId == job.JobId);
        var pins = Suite.ApplianceService<IOptions<PinMapOptions>>().Value;

        await Suite.HoldButtonAsync(pins.LongPress + TimeSpan.FromMilliseconds(300), CancellationToken.None);

        await cancelled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CaptureState.Idle, Suite.ApplianceService<CaptureCoordinator>().State);
        Assert.Equal(0, await Suite.ApplianceService<ISeriesStore>().CountAsync(CancellationToken.None));
        Assert.DoesNotContain(Suite.ApplianceService<SimulatedGpioDriver>().Timeline, w => w.Pin == pins.CrossPolarisedRingPin && w.Value == PinValue.High && w.At > job.IssuedAt);
    }

    [Fact]
    public async Task FiledSeries_IsListedOnTheHostPage_ForASignedInUserOnly()
    {
        await Suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-2", "scalp", ConsentScope.DirectCare, CancellationToken.None);
        var cycle = await Suite.PressAndWaitFiledAsync(CancellationToken.None);

        // Not signed in: sent to the sign-in page, and nothing of the series is shown.
        using (var anonymous = HostPages.NewClient(Suite.Host))
        {
            using var refused = await anonymous.GetAsync("/");
            Assert.Equal("/Account/Login", refused.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.DoesNotContain(cycle.Filed.SeriesId, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Suite.HostService<UserService>().Add("derm.e2e", UserRoles.Dermatologist, "a long enough password", "test");
        using var http = await HostPages.SignInAsync(Suite.Host, "derm.e2e", "a long enough password");
        var page = await http.GetStringAsync("/");

        Assert.Contains(cycle.Filed.SeriesId, page, StringComparison.Ordinal);
        Assert.Contains(cycle.Filed.EpisodeCode, page, StringComparison.Ordinal);
        Assert.DoesNotContain("TEST-PATIENT-2", page, StringComparison.Ordinal);

        // A dermatologist is not an admin: the fleet page is refused.
        using var admin = await http.GetAsync("/Admin/Fleet");
        Assert.Equal("/Account/Denied", admin.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task SignIn_WithAWrongPassword_IsRefused_AndLocksAfterFiveTries_AndIsAudited()
    {
        var users = Suite.HostService<UserService>();
        users.Add("clinic.lock", UserRoles.Clinic, "the right password 1", "test");
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => HostPages.SignInAsync(Suite.Host, "clinic.lock", "a wrong password 1"));
        }

        // Locked now, even with the right password.
        await Assert.ThrowsAsync<InvalidOperationException>(() => HostPages.SignInAsync(Suite.Host, "clinic.lock", "the right password 1"));
        Assert.Equal(6, Suite.HostService<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.SignInFailed && e.Subject == "clinic.lock"));
    }
}

public sealed class LiteDbEndToEndTests(SuiteFixture fixture) : EndToEndTests(fixture), IClassFixture<SuiteFixture>;

public sealed class PostgreSqlEndToEndTests(PostgreSqlSuiteFixture fixture) : EndToEndTests(fixture), IClassFixture<PostgreSqlSuiteFixture>;
