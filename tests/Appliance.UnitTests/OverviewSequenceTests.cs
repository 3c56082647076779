using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestKit;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>
/// A job that asks for an overview is three steps on the appliance: the overview (first press),
/// then the dermoscopic pair (second press), sealed together with the overview last and named
/// as such; each step is retaken on its own, its status names the step, a hold cancels at any
/// step and clears the held overview, and an appliance without an overview camera says so and
/// takes the pair.
/// </summary>
public sealed class OverviewSequenceTests : IDisposable
{
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);
    private readonly SimulatedCamera _camera = new();
    private readonly SimulatedOverviewCamera _overviewCamera = new();
    private readonly List<byte[]> _overviewBuffers = [];
    private readonly FakeSeriesStore _store = new();
    private readonly FrameBufferPool _pool = new();
    private readonly StatusFeed _status = new(new WorkSignal());
    private readonly byte[] _hostPrivate;
    private readonly OverviewOptions _overview = new() { Width = 320, Height = 240, BurstInterval = TimeSpan.Zero };
    private readonly CaptureOptions _options = new() { RingSettleTime = TimeSpan.Zero, MaxRingOnTime = TimeSpan.FromSeconds(10), Width = 160, Height = 120 };
    private readonly GpioStatusIndicator _indicator;
    private readonly CaptureCoordinator _coordinator;

    public OverviewSequenceTests() : this(withOverviewCamera: true)
    {
    }

    private OverviewSequenceTests(bool withOverviewCamera)
    {
        (_hostPrivate, var hostPublic) = SeriesSealing.CreateHostKeyPair();
        var gpio = new GpioController(_driver);
        var pins = Options.Create(new PinMapOptions());
        _indicator = new GpioStatusIndicator(gpio, pins);
        var calibration = new FakeCalibrationStore { Current = FakeCalibrationStore.Valid("unit-device-01", TimeSpan.FromDays(30)) };
        var sequencer = new CaptureSequencer(new FakeCamera((l, s, _) => Task.FromResult(SimulatedCamera.Render(_camera.Scene, l, s.Width, s.Height, false))), new GpioIlluminator(gpio, pins), _pool, TimeProvider.System, Options.Create(_options));
        var identity = new ApplianceIdentity("unit-device-01", "0.1.0", hostPublic, SeriesSigning.CreateKeyPair().PrivateKey);
        var overviewStep = withOverviewCamera
            ? new OverviewStep(new RecordingOverviewCamera(_overviewCamera, _overviewBuffers), new OverviewQualityChecker(Options.Create(new QualityOptions()), Options.Create(_overview), _pool), _pool, TimeProvider.System, Options.Create(_overview))
            : null;
        _coordinator = CoordinatorComposition.Compose(sequencer, _indicator, _store, _pool, new FakeSystemIntegrity(), calibration, new CalibrationOptions(), identity, _status, _options, overviewStep);
    }

    private static CaptureJob Job(bool overview = true) =>
        new("job-1", "EP-ABCDEFGHJK", "left forearm", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5), overview ? true : null);

    private static ButtonPress Press => new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task TheOverviewComesFirst_ThenThePair_AndAllThreeAreSealedTogether_TheOverviewLast()
    {
        Assert.True(await _coordinator.ArmAsync(Job(), CancellationToken.None));
        Assert.Equal((ApplianceState.Armed, CaptureStep.Overview), Last(Drain()));
        Assert.Equal(IndicatorState.ArmedForOverview, _indicator.Current); // blinking blue

        Assert.Equal(CaptureOutcomeKind.OverviewTaken, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        Assert.Equal((CaptureState.Armed, CaptureStep.Contact), (_coordinator.State, _coordinator.Step));
        Assert.Equal((ApplianceState.Armed, CaptureStep.Contact), Last(Drain())); // the page now asks for the head on the lesion
        Assert.Equal(IndicatorState.OverviewTaken, _indicator.Current); // a beep, steady blue
        Assert.Empty(_store.All); // held in memory only, never stored alone
        Assert.DoesNotContain(_driver.Timeline, w => w.Value == PinValue.High && (w.Pin == 18 || w.Pin == 13)); // no ring for the overview

        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);

        var (manifest, frames) = SealedSeriesFactory.Open(_store.EnvelopeOf(Assert.Single(_store.All).SeriesId), _hostPrivate);
        Assert.Null(manifest.Validate());
        Assert.Equal(
            [(LightingMode.CrossPolarised, FrameRole.Dermoscopic), (LightingMode.NonPolarised, FrameRole.Dermoscopic), (LightingMode.Ambient, FrameRole.Overview)],
            manifest.Frames.Select(f => (f.Lighting, f.RoleOrDefault)));
        Assert.Equal(_overview.ToCameraSettings(), manifest.OverviewCamera);
        Assert.True(manifest.OverviewQuality!.Accepted);
        Assert.Equal(OverviewAiming.Aim(_overview), manifest.OverviewAim);
        Assert.Equal(SimulatedOverviewCamera.Render(_overviewCamera.Scene, 320, 240, moved: false).Pixels, frames[2]);
        Assert.Equal(SimulatedCamera.Render(_camera.Scene, LightingMode.CrossPolarised, 160, 120, false).Pixels, frames[0]);
        Assert.All(_overviewBuffers, b => Assert.All(b, v => Assert.Equal(0, v))); // the plaintext overview cleared once sealed
    }

    [Fact]
    public async Task EachStep_IsRetakenOnItsOwn_AndARetakenPairKeepsTheOverview()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        _overviewCamera.Scene = new SimulatedOverviewScene { MotionDx = 12 };

        Assert.Equal(CaptureOutcomeKind.Retake, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        var retake = Drain().Last();
        Assert.Equal((ApplianceState.Retake, CaptureStep.Overview, "overview: moved"), (retake.State, retake.Step, retake.Reason));
        Assert.Equal(CaptureStep.Overview, _coordinator.Step);

        _overviewCamera.Scene = new SimulatedOverviewScene();
        Assert.Equal(CaptureOutcomeKind.OverviewTaken, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        _camera.Scene = _camera.Scene with { Brightness = 0.1 };
        Assert.Equal(CaptureOutcomeKind.Retake, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        var pairRetake = Drain().Last();
        Assert.Equal((ApplianceState.Retake, CaptureStep.Contact), (pairRetake.State, pairRetake.Step));
        Assert.Equal(CaptureStep.Contact, _coordinator.Step); // the overview is kept: only the pair is taken again

        _camera.Scene = _camera.Scene with { Brightness = 1.0 };
        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        var (manifest, _) = SealedSeriesFactory.Open(_store.EnvelopeOf(Assert.Single(_store.All).SeriesId), _hostPrivate);
        Assert.Equal((3, 2), (manifest.Frames.Length, manifest.RetakeCount));
    }

    [Fact]
    public async Task AHold_CancelsAtTheContactStep_ClearsTheHeldOverview_AndTheNextJobStartsWithItsOwn()
    {
        await _coordinator.ArmAsync(Job(), CancellationToken.None);
        await _coordinator.HandlePressAsync(Press, CancellationToken.None);
        Assert.Contains(_overviewBuffers, b => b.Any(v => v != 0));

        Assert.True(await _coordinator.CancelAsync(CancellationToken.None));

        Assert.Equal(ApplianceState.Cancelled, Drain().Last().State);
        Assert.Empty(_store.All);
        Assert.All(_overviewBuffers, b => Assert.All(b, v => Assert.Equal(0, v)));
        await _coordinator.ArmAsync(Job() with { JobId = "job-2" }, CancellationToken.None);
        Assert.Equal(CaptureStep.Overview, _coordinator.Step);
    }

    [Fact]
    public async Task WithoutAnOverviewCamera_TheJobIsArmedForThePair_WithAWarning()
    {
        using var rig = new OverviewSequenceTests(withOverviewCamera: false);
        await rig._coordinator.ArmAsync(Job(), CancellationToken.None);

        var armed = rig.Drain().Last();
        Assert.Equal((ApplianceState.Armed, CaptureStep.Contact), (armed.State, armed.Step));
        Assert.Contains("no overview camera", armed.Reason, StringComparison.Ordinal);
        Assert.Equal(CaptureOutcomeKind.Accepted, (await rig._coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);
        var (manifest, _) = SealedSeriesFactory.Open(rig._store.EnvelopeOf(Assert.Single(rig._store.All).SeriesId), rig._hostPrivate);
        Assert.Equal(2, manifest.Frames.Length);
        Assert.Null(manifest.OverviewCamera);
        Assert.Null(manifest.OverviewAim);
    }

    [Fact]
    public async Task AJobWithoutAnOverview_IsThePairAsBefore_AndItsStatusesNameNoStep()
    {
        await _coordinator.ArmAsync(Job(overview: false), CancellationToken.None);

        Assert.Equal(CaptureOutcomeKind.Accepted, (await _coordinator.HandlePressAsync(Press, CancellationToken.None)).Kind);

        Assert.All(Drain(), s => Assert.Null(s.Step));
        Assert.Empty(_overviewBuffers);
        var (manifest, _) = SealedSeriesFactory.Open(_store.EnvelopeOf(Assert.Single(_store.All).SeriesId), _hostPrivate);
        Assert.Equal(2, manifest.Frames.Length);
        Assert.All(manifest.Frames, f => Assert.Null(f.Role)); // as a host that predates overviews reads them
    }

    private static (ApplianceState, CaptureStep?) Last(List<ApplianceStatus> statuses) => (statuses[^1].State, statuses[^1].Step);

    private List<ApplianceStatus> Drain() => _status.Drain();

    public void Dispose()
    {
        _coordinator.Dispose();
        _indicator.Dispose();
        _driver.Dispose();
    }

    /// <summary>The simulated overview camera, noting each buffer it filled so a test can see it cleared.</summary>
    private sealed class RecordingOverviewCamera(SimulatedOverviewCamera camera, List<byte[]> buffers) : IOverviewCamera
    {
        public async Task<CapturedFrame> CaptureAsync(CameraSettings settings, CancellationToken cancellationToken)
        {
            var frame = await camera.CaptureAsync(settings, cancellationToken);
            buffers.Add(frame.Pixels);
            return frame;
        }
    }
}
