using System.Device.Gpio;
using Appliance.Calibration;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

public sealed class CaptureCoordinatorTests : IDisposable
{
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);
    private readonly SimulatedCamera _camera = new();
    private readonly GpioStatusIndicator _indicator;
    private Exception? _cameraFault;
    private RpicamCamera? _backend;
    private volatile SimulatedCard _card;
    private readonly SimulatedOptics _optics = new();
    private readonly TempFolder _folder = new("coordinator");
    private readonly FakeSeriesStore _store = new();
    private readonly FrameBufferPool _pool = new();
    private readonly FakeSystemIntegrity _integrity = new();
    private readonly FakeCalibrationStore _calibration = new() { Current = FakeCalibrationStore.Valid("unit-device-01", TimeSpan.FromDays(30)) };
    private readonly CalibrationOptions _calibrationOptions = new();
    private readonly StatusFeed _status = new(new WorkSignal());
    private readonly byte[] _hostPrivate;
    private readonly (byte[] PrivateKey, byte[] PublicKey) _signing = SeriesSigning.CreateKeyPair();
    private readonly CaptureCoordinator _coordinator;
    // The longest ring limit allowed: the simulator renders on the thread pool, which a loaded test run can keep waiting.
    private readonly CaptureOptions _options = new() { RingSettleTime = TimeSpan.Zero, MaxRingOnTime = TimeSpan.FromSeconds(10), Width = 160, Height = 120 };

    public CaptureCoordinatorTests()
    {
        (_hostPrivate, var hostPublic) = SeriesSealing.CreateHostKeyPair();
        var gpio = new GpioController(_driver);
        var pins = Options.Create(new PinMapOptions());
        _indicator = new GpioStatusIndicator(gpio, pins);
        var camera = new FakeCamera((lighting, settings, ct) =>
            _cameraFault is not null ? Task.FromException<CapturedFrame>(_cameraFault)
            : _backend is not null ? _backend.CaptureAsync(lighting, settings, ct)
            : Task.FromResult(RenderNow(lighting, settings)));
        var sequencer = new CaptureSequencer(camera, new GpioIlluminator(gpio, pins), _pool, TimeProvider.System, Options.Create(_options));
        var identity = new ApplianceIdentity("unit-device-01", "0.1.0", hostPublic, _signing.PrivateKey);
        _coordinator = CoordinatorComposition.Compose(sequencer, _indicator, _store, _pool, _integrity, _calibration, _calibrationOptions, identity, _status, _options);
    }

    private static CaptureJob Job(TimeSpan? lifetime = null) =>
        new("job-1", "EP-ABCDEFGHJK", "left forearm", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromMinutes(5)));

    private static ButtonPress Press => new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task Press_WhenNotArmed_IsIgnoredAndCapturesNothing()
    {
        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Ignored, outcome.Kind);
        Assert.Empty(_store.All);
        Assert.DoesNotContain(_driver.Timeline, w => w.Value == PinValue.High && (w.Pin == 18 || w.Pin == 13));
    }

    [Fact]
    public async Task ArmedPress_StoresOneSealedSeries_ThatOnlyTheHostCanOpen()
    {
        Assert.True(await _coordinator.ArmAsync(Job(), CancellationToken.None));

        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Accepted, outcome.Kind);
        Assert.Equal(CaptureState.Idle, _coordinator.State);
        var stored = Assert.Single(_store.All);
        var accepted = Assert.Single(Drain(), s => s.State == ApplianceState.Accepted);
        Assert.Equal((stored.SeriesId, (string?)null, "job-1"), (accepted.SeriesId, accepted.Reason, accepted.JobId));
        var envelope = _store.EnvelopeOf(stored.SeriesId);
        var (manifest, frames) = SealedSeriesFactory.Open(envelope, _hostPrivate);
        Assert.Equal("EP-ABCDEFGHJK", manifest.EpisodeCode);
        Assert.Equal(_calibration.Current!.ProfileId, manifest.CalibrationId); // the profile the series was taken under
        Assert.True(SeriesEnvelope.TryDecode(envelope, out var routing, out var sealedManifest, out var sealedFrames, out _));
        Assert.True(SeriesSigning.Verify(_signing.PublicKey, routing, sealedManifest.Span, sealedFrames)); // signed by this appliance
        // Sealed, the manifest shows nothing: not the episode code, not the body site.
        Assert.False(PlaintextContains(envelope, "EP-ABCDEFGHJK") || PlaintextContains(envelope, "left forearm"));
        var truth = SimulatedCamera.Render(_camera.Scene, LightingMode.CrossPolarised, 160, 120, false);
        Assert.Equal(truth.Pixels, frames[0]);
        Assert.Equal(stored.FrameSha256, manifest.Frames.Select(f => f.Sha256));
    }

    [Fact]
    public async Task Identify_ShowsOnlyTheApplianceArmedForThatJob_AndLeavesItArmed()
    {
        Assert.False(await _coordinator.IdentifyAsync(new IdentifyRequest("job-1"), CancellationToken.None)); // nothing armed
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        Drain();

        Assert.False(await _coordinator.IdentifyAsync(new IdentifyRequest("job-of-another-patient"), CancellationToken.None));
        Assert.Equal(IndicatorState.Armed, _indicator.Current);
        Assert.Empty(Drain());

        Assert.True(await _coordinator.IdentifyAsync(new IdentifyRequest("job-1"), CancellationToken.None));
        Assert.Equal(IndicatorState.Identify, _indicator.Current);
        var pins = new PinMapOptions();
        Assert.All((int[])[pins.StatusRedPin, pins.StatusGreenPin, pins.StatusBluePin], pin => Assert.Equal(PinValue.High, _driver.ValueOf(pin))); // white
        var shown = Assert.Single(Drain());
        Assert.Equal((ApplianceState.Identifying, "job-1"), (shown.State, shown.JobId));
        Assert.Equal(CaptureState.Armed, _coordinator.State);
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task GlareInPolarisedFrame_IsRetake_StaysArmed_AndTheRetakeIsCounted()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        _camera.Scene = new SimulatedScene { GlareInCrossPolarised = true };

        var retake = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Retake, retake.Kind);
        Assert.Contains(SeriesQualityChecker.Glare, retake.Reasons!);
        Assert.Equal(CaptureState.Armed, _coordinator.State);
        Assert.Empty(_store.All);
        Assert.Contains(Drain(), s => s.State == ApplianceState.Retake && s.Reason!.Contains("glare", StringComparison.Ordinal));

        _camera.Scene = new SimulatedScene();
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        var (manifest, _) = SealedSeriesFactory.Open(_store.EnvelopeOf(_store.All.Single().SeriesId), _hostPrivate);
        Assert.Equal(1, manifest.RetakeCount);
    }

    [Fact]
    public async Task CameraFault_ShowsFault_StaysArmed_StoresNothing_AndRingsAreOff()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        _cameraFault = new CaptureFaultException("rpicam-still exited with 255: no cameras available");

        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Fault, outcome.Kind);
        Assert.Equal(IndicatorState.Fault, _indicator.Current);
        Assert.Equal(CaptureState.Armed, _coordinator.State);
        Assert.Empty(_store.All);
        Assert.Equal(PinValue.Low, _driver.ValueOf(18));
        Assert.Equal(PinValue.Low, _driver.ValueOf(13));
        Assert.Contains(Drain(), s => s.State == ApplianceState.Fault && s.Reason!.Contains("no cameras available", StringComparison.Ordinal));

        // The fault cleared, the same job still captures.
        _cameraFault = null;
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task Cancel_DisarmsTheJob_TellsTheHost_AndTheNextPressCapturesNothing()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        Drain();

        Assert.True(await _coordinator.CancelAsync(CancellationToken.None));

        Assert.Equal(CaptureState.Idle, _coordinator.State);
        Assert.Equal(IndicatorState.Idle, _indicator.Current);
        Assert.Contains(Drain(), s => s.State == ApplianceState.Cancelled && s.JobId == "job-1");
        Assert.Equal(CaptureOutcomeKind.Ignored, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        Assert.Empty(_store.All);
        Assert.False(await _coordinator.CancelAsync(CancellationToken.None)); // nothing left to cancel
    }

    [Theory]
    [InlineData("exec sleep 30", "killed")]
    [InlineData("echo 'ERROR: no cameras available' >&2; exit 255", "exited with 255")]
    [InlineData("head -c 5000 \"$KNOWN\" > \"$OUT\"", "truncated")]
    public async Task RealCameraBackendThatHangsFailsOrTruncates_ShowsFault_RingsOff_StoreUntouched(string body, string reason)
    {
        var known = _folder.Combine("known.bmp");
        var truth = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, _options.Width, _options.Height, false);
        await File.WriteAllBytesAsync(known, Bmp24.Encode(truth.Width, truth.Height, truth.Pixels));
        var scratch = Directory.CreateDirectory(_folder.Combine("scratch")).FullName;
        _backend = new RpicamCamera(
            Options.Create(new RpicamOptions { Executable = FakeCameraTool.Write(_folder.Path, "rpicam-still", "--output", known, body), ScratchFolder = scratch, Timeout = TimeSpan.FromMilliseconds(500) }),
            _pool,
            TimeProvider.System,
            NullLogger<RpicamCamera>.Instance);
        await _coordinator.ArmAsync(Job(), CancellationToken.None);

        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Fault, outcome.Kind);
        Assert.Contains(reason, outcome.Reasons![0], StringComparison.Ordinal);
        Assert.Equal(IndicatorState.Fault, _indicator.Current);
        Assert.Equal(CaptureState.Armed, _coordinator.State);
        Assert.Empty(_store.All);
        Assert.Equal(PinValue.Low, _driver.ValueOf(18));
        Assert.Equal(PinValue.Low, _driver.ValueOf(13));
        Assert.Empty(Directory.EnumerateFiles(scratch));
    }

    [Fact]
    public async Task FullStore_RefusesToArm_WithAClearStatus_AndShowsFault()
    {
        _store.FullBecause = "store full: 500 series wait for the host (limit 500)";

        Assert.False(await _coordinator.ArmAsync(Job(), CancellationToken.None));

        Assert.Equal(CaptureState.Idle, _coordinator.State);
        Assert.Equal(IndicatorState.Fault, _indicator.Current);
        Assert.Contains(Drain(), s => s.State == ApplianceState.Refused && s.JobId == "job-1" && s.Reason!.StartsWith("store full", StringComparison.Ordinal));
        Assert.Equal(CaptureOutcomeKind.Ignored, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task DiskFillingUpUnderTheWrite_IsAFault_StaysArmed_StoresNothing_RingsOff()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        _store.FailNextAdd = new IOException("No space left on device");

        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Fault, outcome.Kind);
        Assert.Contains("No space left on device", outcome.Reasons![0], StringComparison.Ordinal);
        Assert.Equal(CaptureState.Armed, _coordinator.State);
        Assert.Empty(_store.All);
        Assert.Equal(PinValue.Low, _driver.ValueOf(18));
        Assert.Equal(PinValue.Low, _driver.ValueOf(13));
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task WithoutAValidCalibration_ItRefusesToArm_OrArmsWithAVisibleWarningIfTheAdminAllows()
    {
        _calibration.Current = null;
        Assert.False(await _coordinator.ArmAsync(Job(), CancellationToken.None));
        Assert.Contains(Drain(), s => s.State == ApplianceState.Refused && s.Reason!.StartsWith("not calibrated", StringComparison.Ordinal));

        _calibration.Current = FakeCalibrationStore.Valid("unit-device-01", TimeSpan.FromMinutes(-1));
        Assert.False(await _coordinator.ArmAsync(Job(), CancellationToken.None));
        Assert.Contains(Drain(), s => s.State == ApplianceState.Refused && s.Reason!.Contains("expired", StringComparison.Ordinal));

        _calibrationOptions.AllowExpired = true;
        Assert.True(await _coordinator.ArmAsync(Job(), CancellationToken.None));
        Assert.Contains(Drain(), s => s.State == ApplianceState.Armed && s.Reason!.Contains("expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailedOperatingSystemCheck_RefusesToArm_UnlessOnlyWarned()
    {
        _integrity.Problems = ["a Bluetooth controller (hci0) is present: disable it (dtoverlay=disable-bt)"];

        Assert.False(await _coordinator.ArmAsync(Job(), CancellationToken.None));
        Assert.Contains(Drain(), s => s.State == ApplianceState.Refused && s.Reason!.Contains("hci0", StringComparison.Ordinal));
        Assert.Equal(IndicatorState.Fault, _indicator.Current);

        _integrity.Enforced = false; // the development flag
        Assert.True(await _coordinator.ArmAsync(Job(), CancellationToken.None));
    }

    [Fact]
    public async Task ExpiredJob_IsRefused()
    {
        Assert.False(await _coordinator.ArmAsync(Job(TimeSpan.FromMilliseconds(-1)) with { IssuedAt = DateTimeOffset.UtcNow.AddMinutes(-10) }, CancellationToken.None));
        Assert.Equal(CaptureState.Idle, _coordinator.State);
    }

    /// <summary>
    /// The simulator's frame, rendered on the calling thread: a loaded test run can keep the
    /// thread pool (where <see cref="SimulatedCamera.CaptureAsync"/> renders) waiting past the ring limit.
    /// </summary>
    private CapturedFrame RenderNow(LightingMode lighting, CameraSettings settings) => _card switch
    {
        SimulatedCard.WhiteCard => new(lighting, settings.Width, settings.Height, CapturedFrame.Rgb24, SimulatedTarget.RenderWhite(_optics, TargetSheet.Default(), lighting, settings.Width, settings.Height)),
        SimulatedCard.Target => new(lighting, settings.Width, settings.Height, CapturedFrame.Rgb24, SimulatedTarget.RenderTarget(_optics, TargetSheet.Default(), lighting, settings.Width, settings.Height)),
        _ => SimulatedCamera.Render(_camera.Scene, lighting, settings.Width, settings.Height, lighting == LightingMode.NonPolarised),
    };

    private static CalibrationRequest Run(string id = "run-1") => new(id, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(15));

    [Fact]
    public async Task CalibrationRun_WhiteCardThenTarget_MakesASignedProfileWithinTheAims_WithTheTargetsEdgeBlur_AndArmsAgain()
    {
        var before = _calibration.Current!;
        Assert.True(await _coordinator.StartCalibrationAsync(Run(), CancellationToken.None));
        Assert.Equal(CaptureState.Calibrating, _coordinator.State);
        Assert.Equal(IndicatorState.Calibrating, _indicator.Current);
        Assert.False(await _coordinator.ArmAsync(Job(), CancellationToken.None)); // not while calibrating

        _card = SimulatedCard.WhiteCard;
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        _card = SimulatedCard.Target;
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);

        var profile = _calibration.Current!;
        Assert.NotEqual(before.ProfileId, profile.ProfileId);
        Assert.True(SeriesSigning.VerifyBytes(_signing.PublicKey, profile.SignedBytes(), profile.Signature));
        Assert.Equal(2, profile.Rings.Length);
        Assert.All(profile.Rings, r =>
        {
            Assert.InRange(r.DeltaEMeanAfter, 0, 2.0);
            Assert.InRange(r.DeltaEMaxAfter, 0, 5.0);
            Assert.True(r.TargetEdgeBlur > 0);
        });
        Assert.Equal(CaptureState.Idle, _coordinator.State);
        var statuses = Drain();
        Assert.Equal([ApplianceState.Calibrating, ApplianceState.Refused, ApplianceState.Calibrating, ApplianceState.Calibrated], statuses.Select(s => s.State));
        Assert.Contains("white reference card", statuses[0].Reason);
        Assert.Contains("colour target", statuses[2].Reason);
        Assert.All(statuses.Where(s => s.State != ApplianceState.Refused), s => Assert.Equal("run-1", s.CalibrationRunId));
        Assert.All(statuses, s => Assert.Null(s.Validate()));
        Assert.Equal(profile.ProfileId, statuses[^1].ProfileId);
        Assert.Null(statuses[^1].Reason);
        Assert.Equal(profile.CreatedAt, statuses[^1].CalibratedAt);

        _card = SimulatedCard.None;
        Assert.True(await _coordinator.ArmAsync(Job(), CancellationToken.None));
    }

    [Fact]
    public async Task CalibrationRun_WithSkinWhereTheTargetShouldBe_IsRefused_AndTheOldProfileStays()
    {
        var before = _calibration.Current!;
        await _coordinator.StartCalibrationAsync(Run(), CancellationToken.None);
        _card = SimulatedCard.WhiteCard;
        await _coordinator.HandlePressAsync(Press, CancellationToken.None);
        _card = SimulatedCard.None; // staff pressed on skin, not on the chart

        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Fault, outcome.Kind);
        Assert.Contains("the cross-polarised target frame could not be fitted", outcome.Reasons![0]);
        Assert.Same(before, _calibration.Current);
        Assert.Equal(ApplianceState.CalibrationFailed, Drain()[^1].State);
        Assert.Equal(CaptureState.Idle, _coordinator.State);
    }

    [Fact]
    public async Task CalibrationRun_ADarkWhiteCard_AsksAgain_AndAHoldCancelsTheRun()
    {
        await _coordinator.StartCalibrationAsync(Run(), CancellationToken.None);
        _camera.Scene = _camera.Scene with { Brightness = 0.02 }; // no card: dark skin-like frame

        var outcome = await _coordinator.HandlePressAsync(Press, CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Retake, outcome.Kind);
        Assert.Contains("too dark", outcome.Reasons![0]);
        Assert.Equal(CaptureState.Calibrating, _coordinator.State);
        Assert.True(await _coordinator.CancelAsync(CancellationToken.None));
        Assert.Equal(CaptureState.Idle, _coordinator.State);
        Assert.Equal(ApplianceState.CalibrationCancelled, Drain()[^1].State);
    }

    [Fact]
    public async Task CalibrationRun_IsRefusedWhileAJobIsArmed()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);

        Assert.False(await _coordinator.StartCalibrationAsync(Run(), CancellationToken.None));
        Assert.Equal(CaptureState.Armed, _coordinator.State);
        Assert.Equal(ApplianceState.CalibrationRefused, Drain()[^1].State);
    }

    private static bool PlaintextContains(byte[] haystack, string text) =>
        haystack.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;

    private List<ApplianceStatus> Drain() => _status.Drain();

    public void Dispose()
    {
        _coordinator.Dispose();
        _indicator.Dispose();
        _driver.Dispose();
        _folder.Dispose();
    }
}
