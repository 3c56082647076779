using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Screen;
using Appliance.Firmware.Devices.Simulated;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests.Screen;

/// <summary>
/// The screen as the appliance runs it: statuses in, the binding's ILI9341 driver out to a
/// simulated controller that decodes the bus. The preview region follows the simulated camera
/// (block by block against the camera's own picture), the code, prompt and verdict are where they
/// belong, the screen goes dark when idle and keeps nothing of a job on a wipe, and a capture
/// takes the camera and ring from the preview, which comes back after.
/// </summary>
public sealed class ScreenServiceTests : IAsyncLifetime
{
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);
    private readonly GpioController _gpio;
    private readonly ScreenOptions _options = new() { Enabled = true, VerdictHold = TimeSpan.FromMilliseconds(300) };
    private readonly SimulatedSpiDisplay _display;
    private readonly Ili9341Panel _panel;
    private readonly SimulatedCamera _camera = new();
    private readonly SimulatedOverviewCamera _overview = new();
    private readonly StatusFeed _feed = new(new WorkSignal());
    private readonly WipeSignal _wipe = new();
    private readonly CameraArbiter _arbiter = new();
    private readonly FakeIlluminator _rings = new();
    private readonly ScreenService _screen;

    public ScreenServiceTests()
    {
        _gpio = new GpioController(_driver);
        _display = new SimulatedSpiDisplay(_gpio, _options.DataCommandPin, _options.BacklightPin, _options.ClockHz);
        _panel = new Ili9341Panel(_display, _gpio, _options);
        _screen = new ScreenService(_panel, new SimulatedPreviewSource(_camera, _overview, TimeProvider.System), _arbiter, _rings, _feed, new HostLink(), _wipe, Options.Create(_options), Options.Create(new OverviewOptions()), TimeProvider.System, NullLogger<ScreenService>.Instance);
    }

    public async Task InitializeAsync()
    {
        var dark = Shown(c => !c.Lit);
        await _screen.StartAsync(CancellationToken.None);
        await dark;
    }

    private static ApplianceStatus Status(ApplianceState state, string? reason = null, CaptureStep? step = null) =>
        new("clinic-a-01", state, "0.1.0", 2, DateTimeOffset.UnixEpoch, "job-7", reason, Step: step);

    /// <summary>Arms the job (at <paramref name="step"/>) and waits until the screen shows its preview.</summary>
    private async Task ArmAsync(CaptureStep? step = null)
    {
        var armed = Shown(c => c.Preview is not null);
        _feed.Publish(Status(ApplianceState.Armed, step: step));
        await armed;
    }

    private Task<ScreenContent> Shown(Func<ScreenContent, bool> match)
    {
        var shown = new TaskCompletionSource<ScreenContent>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(ScreenContent c)
        {
            if (match(c))
            {
                shown.TrySetResult(c);
            }
        }

        _screen.Shown += Handler;
        return shown.Task.WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(t => { _screen.Shown -= Handler; return t.Result; }, TaskScheduler.Default);
    }

    /// <summary>Completes once <paramref name="count"/> preview frames have reached the panel after this call.</summary>
    private Task PreviewFrames(int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = 0;
        void Handler(PreviewShown _)
        {
            if (Interlocked.Increment(ref seen) == count)
            {
                done.TrySetResult();
            }
        }

        _screen.PreviewFrameShown += Handler;
        return done.Task.WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(t => { _screen.PreviewFrameShown -= Handler; t.GetAwaiter().GetResult(); }, TaskScheduler.Default);
    }

    /// <summary>
    /// The preview region against the camera's own picture, in 13×13 blocks of the region (16×12
    /// pixels), each block's mean colour against the mean of the camera pixels it stands for.
    /// </summary>
    private static double WorstBlockError(byte[] picture, byte[] truth, System.Drawing.Rectangle? drawnOver = null)
    {
        var region = ScreenLayout.Preview;
        var worst = 0.0;
        for (var by = 0; by < 13; by++)
        {
            for (var bx = 0; bx < 13; bx++)
            {
                if (drawnOver is { } over && over.IntersectsWith(new System.Drawing.Rectangle(bx * 16, by * 12, 16, 12)))
                {
                    continue; // the aiming circle is drawn over these blocks
                }

                var shown = Mean(picture, ScreenCanvas.Width, bx * 16, by * 12, 16, 12);
                var (sx0, sy0, sx1, sy1) = (bx * 16 * 320 / 208, by * 12 * 240 / 156, (bx + 1) * 16 * 320 / 208, (by + 1) * 12 * 240 / 156);
                var camera = Mean(truth, 320, sx0, sy0, sx1 - sx0, sy1 - sy0);
                worst = Math.Max(worst, Math.Max(Math.Abs(shown.R - camera.R), Math.Max(Math.Abs(shown.G - camera.G), Math.Abs(shown.B - camera.B))));
            }
        }

        Assert.Equal(208, region.Width);
        return worst;
    }

    private static (double R, double G, double B) Mean(byte[] rgb, int width, int x0, int y0, int w, int h)
    {
        double r = 0, g = 0, b = 0;
        for (var y = y0; y < y0 + h; y++)
        {
            for (var x = x0; x < x0 + w; x++)
            {
                var i = ((y * width) + x) * 3;
                (r, g, b) = (r + rgb[i], g + rgb[i + 1], b + rgb[i + 2]);
            }
        }

        var n = w * h;
        return (r / n, g / n, b / n);
    }

    private byte[] Truth() => SimulatedCamera.Render(_camera.Scene, LightingMode.CrossPolarised, 320, 240, applyMotion: false).Pixels;

    [Fact]
    public async Task WhileArmed_ThePreviewFollowsTheCamera_WithTheJobsCodeAndThePrompt()
    {
        await ArmAsync();
        Assert.Equal(PreviewCamera.Dermoscopic, _screen.Content.Preview);
        await PreviewFrames(2);

        Assert.InRange(WorstBlockError(_display.Picture(), Truth()), 0, 10);
        Assert.Equal(LightingMode.CrossPolarised, _rings.Lit); // the skin under the head lit, without glare
        var picture = _display.Picture();
        var code = JobCodes.For("job-7");
        for (var i = 0; i < code.Length; i++)
        {
            Assert.Null(ScreenGlyphs.Mismatch(picture, code[i], ScreenLayout.Column.Left + 8 + (i * 18), 30, 3));
        }

        Assert.Null(ScreenGlyphs.Mismatch(picture, ScreenModel.ContactPrompt[0], 4, ScreenLayout.Prompt.Top + 4, 2));

        // The lesion moves under the head: the preview follows.
        var before = Truth();
        _camera.Scene = _camera.Scene with { LesionCentreX = 0.25, LesionCentreY = 0.3, Brightness = 0.8 };
        await PreviewFrames(2);
        Assert.InRange(WorstBlockError(_display.Picture(), Truth()), 0, 10);
        Assert.True(WorstBlockError(_display.Picture(), before) > 40, "the preview still shows the old scene");
    }

    [Fact]
    public async Task TheOverviewStep_PreviewsTheOverviewCamera_WithNoRingLit()
    {
        await ArmAsync(CaptureStep.Overview);
        Assert.Equal(PreviewCamera.Overview, _screen.Content.Preview);
        await PreviewFrames(2);

        var truth = SimulatedOverviewCamera.Render(_overview.Scene, 320, 240, moved: false).Pixels;
        var (cx, cy, r) = ScreenService.AimOnThePreview(OverviewAiming.Aim(new OverviewOptions()));
        var ring = new System.Drawing.Rectangle((int)(cx - r) - 2, (int)(cy - r) - 2, (int)(2 * r) + 5, (int)(2 * r) + 5);
        Assert.InRange(WorstBlockError(_display.Picture(), truth, ring), 0, 10);
        Assert.Null(_rings.Lit);
        // The aiming circle, yellow, where the mount puts the lesion: at its top, right and bottom.
        foreach (var (x, y) in new[] { (cx, cy - r), (cx + r, cy), (cx, cy + r) })
        {
            var near = Enumerable.Range(-1, 3).SelectMany(dy => Enumerable.Range(-1, 3).Select(dx => ScreenGlyphs.At(_display.Picture(), (int)x + dx, (int)y + dy)));
            Assert.Contains(near, p => p is { R: > 240, G: > 200 and < 230, B: < 30 });
        }

        Assert.True(ScreenGlyphs.At(_display.Picture(), (int)cx, (int)cy) is not { R: > 240, G: > 200 and < 230, B: < 30 }, "the circle is an outline");
        Assert.Null(ScreenGlyphs.Mismatch(_display.Picture(), 'S', ScreenLayout.Column.Left + 8, 66, 2)); // STEP 1/2
    }

    [Fact]
    public async Task ARetake_SaysWhyOnAnAmberBar_AndTheVerdictGoesDarkAfterItsHold()
    {
        await ArmAsync();
        var retake = Shown(c => c.Verdict == "Retake: blurred");
        _feed.Publish(Status(ApplianceState.Retake, "blurred"));
        await retake;

        var amber = ScreenGlyphs.At(_display.Picture(), 310, ScreenLayout.Verdict.Top + 10);
        Assert.True(amber is { R: > 200, G: > 130 and < 170, B: < 30 }, $"verdict bar {amber}");
        Assert.Null(ScreenGlyphs.Mismatch(_display.Picture(), 'R', 4, ScreenLayout.Verdict.Top + 3, 2));

        var dark = Shown(c => !c.Lit);
        var accepted = Shown(c => c.Verdict == "Accepted");
        _feed.Publish(Status(ApplianceState.Accepted));
        await accepted;
        Assert.NotEqual(PinValue.Low, _gpio.Read(_options.BacklightPin));
        await dark;
        Assert.Equal(PinValue.Low, _gpio.Read(_options.BacklightPin));
        Assert.All(_display.Picture(), b => Assert.Equal(0, b));
        Assert.Null(_rings.Lit);
    }

    [Fact]
    public async Task AWipe_LeavesNothingOfTheJobOnTheScreen()
    {
        await ArmAsync();
        await PreviewFrames(1);

        var wiping = Shown(c => c.Alert == "WIPING");
        _wipe.Request(WipeTrigger.Remote, "order-1");
        await wiping;

        var picture = _display.Picture();
        // Only the alert's red letters are lit, in the band across the middle.
        for (var y = 0; y < ScreenCanvas.Height; y++)
        {
            for (var x = 0; x < ScreenCanvas.Width; x++)
            {
                var p = ScreenGlyphs.At(picture, x, y);
                Assert.True(p == (0, 0, 0) || (y is >= 108 and < 132 && p.R > 150 && p.G < 60), $"({x}, {y}) shows {p}");
            }
        }

        Assert.Null(_rings.Lit);
    }

    [Fact]
    public async Task ACapture_TakesTheCameraAndRingFromThePreview_WhichComesBackAfter()
    {
        await ArmAsync();
        await PreviewFrames(1);
        var framesDuringCapture = 0;
        void Count(PreviewShown _) => Interlocked.Increment(ref framesDuringCapture);

        using (await _arbiter.SuspendAsync(CancellationToken.None))
        {
            _screen.PreviewFrameShown += Count;
            // By the time the capture has the camera, the preview's ring is off and its last frame gone.
            Assert.Null(_rings.Lit);
            var region = _display.Picture();
            Assert.Equal((0, 0, 0), ScreenGlyphs.At(region, 100, 80));
            _rings.Light(LightingMode.NonPolarised); // the capture's own ring, which the preview must not touch
            _rings.AllOff();
        }

        _screen.PreviewFrameShown -= Count;
        Assert.Equal(0, framesDuringCapture);
        await PreviewFrames(1);
        Assert.Equal(LightingMode.CrossPolarised, _rings.Lit);
    }

    [Fact]
    public async Task AStatusPublishedTheMomentTheScreenStarts_IsShown()
    {
        using var driver = new SimulatedGpioDriver(TimeProvider.System);
        using var gpio = new GpioController(driver);
        using var panel = new Ili9341Panel(new SimulatedSpiDisplay(gpio, _options.DataCommandPin, _options.BacklightPin, _options.ClockHz), gpio, _options);
        using var arbiter = new CameraArbiter();
        var feed = new StatusFeed(new WorkSignal());
        using var screen = AnotherScreen(panel, arbiter, feed, NullLogger<ScreenService>.Instance);
        var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        screen.Shown += c =>
        {
            if (c.JobCode == JobCodes.For("job-7"))
            {
                armed.TrySetResult();
            }
        };

        // The loop starts on its own thread: the status must not be lost before it listens.
        await screen.StartAsync(CancellationToken.None);
        feed.Publish(Status(ApplianceState.Armed));

        await armed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await screen.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AnIdentify_PicksOutTheCode_ForAsLongAsTheStatusLightIsWhite()
    {
        await ArmAsync();
        var identifying = Shown(c => c.Identifying);
        var after = Shown(c => !c.Identifying && c.Verdict is null);
        var started = TimeProvider.System.GetTimestamp();

        _feed.Publish(Status(ApplianceState.Identifying));
        await identifying;
        Assert.Equal(ScreenPainter.White, Rgb565At(_display.Picture(), ScreenLayout.Column.Left + 2, 2)); // picked out: the column white
        var back = await after;

        Assert.True(TimeProvider.System.GetElapsedTime(started) >= Appliance.Firmware.Devices.Gpio.GpioStatusIndicator.IdentifyFor - TimeSpan.FromMilliseconds(50));
        Assert.Equal((JobCodes.For("job-7"), PreviewCamera.Dermoscopic), (back.JobCode, back.Preview));
        Assert.Equal(ScreenPainter.Panel, Rgb565At(_display.Picture(), ScreenLayout.Column.Left + 2, 2)); // the column is no longer white
    }

    private static ushort Rgb565At(byte[] picture, int x, int y)
    {
        var (r, g, b) = ScreenGlyphs.At(picture, x, y);
        return ScreenCanvas.Rgb565((byte)r, (byte)g, (byte)b);
    }

    [Fact]
    public async Task AStatusThatStopsThePreviewBeforeItBegan_DoesNotStopTheScreen()
    {
        // A press straight after arming: the preview is told to stop before it has the camera.
        var capturing = Shown(c => c.Prompt == "Hold still");
        _feed.Publish(Status(ApplianceState.Armed));
        _feed.Publish(Status(ApplianceState.Capturing));
        await capturing;

        var retake = Shown(c => c.Verdict == "Retake: moved");
        _feed.Publish(Status(ApplianceState.Retake, "moved"));
        await retake;
        await PreviewFrames(1);
        Assert.False(_screen.ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task APanelThatFails_IsLogged_AndTheScreenGoesOnFollowingTheAppliance()
    {
        using var arbiter = new CameraArbiter();
        var feed = new StatusFeed(new WorkSignal());
        using var logs = new Appliance.TestFixtures.CapturedLogs();
        using var screen = AnotherScreen(new FailingPanel(), arbiter, feed, new Microsoft.Extensions.Logging.Logger<ScreenService>(new Microsoft.Extensions.Logging.LoggerFactory([logs])));
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        screen.Shown += c =>
        {
            if (c.Verdict == "Accepted")
            {
                accepted.TrySetResult();
            }
        };

        await screen.StartAsync(CancellationToken.None);
        feed.Publish(Status(ApplianceState.Armed));
        feed.Publish(Status(ApplianceState.Accepted));

        await accepted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(screen.ExecuteTask!.IsCompleted); // still running: a capture never waits on the screen
        Assert.Contains(logs.Entries, e => e.Message.Contains("The screen's panel failed: SPI write failed", StringComparison.Ordinal));
        await screen.StopAsync(CancellationToken.None);
    }

    /// <summary>A screen of its own beside the class's, on the same simulated cameras.</summary>
    private ScreenService AnotherScreen(IScreenPanel panel, CameraArbiter arbiter, StatusFeed feed, Microsoft.Extensions.Logging.ILogger<ScreenService> logger) =>
        new(panel, new SimulatedPreviewSource(_camera, _overview, TimeProvider.System), arbiter, new FakeIlluminator(), feed, new HostLink(), new WipeSignal(), Options.Create(_options), Options.Create(new OverviewOptions()), TimeProvider.System, logger);

    private sealed class FailingPanel : IScreenPanel
    {
        public void Write(System.Drawing.Rectangle region, ReadOnlySpan<byte> rgb565) => throw new IOException("SPI write failed");

        public void Backlight(bool on) => throw new IOException("SPI write failed");

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task ThePreviewsBuffer_IsClearedWhenTheStreamEnds()
    {
        var source = new SimulatedPreviewSource(_camera, _overview, TimeProvider.System);
        byte[]? lent = null;
        await foreach (var frame in source.StreamAsync(PreviewCamera.Dermoscopic, 64, 48, CancellationToken.None))
        {
            lent = frame.Rgb24;
            Assert.Contains(lent, b => b != 0);
            break;
        }

        Assert.All(lent!, b => Assert.Equal(0, b));
    }

    public async Task DisposeAsync()
    {
        await _screen.StopAsync(CancellationToken.None);
        _screen.Dispose();
        _panel.Dispose();
        _gpio.Dispose();
        _driver.Dispose();
    }
}
