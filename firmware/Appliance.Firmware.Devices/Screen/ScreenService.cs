using System.Drawing;
using System.Threading.Channels;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>A preview frame on the panel: when the camera delivered it and when its last byte was sent (time provider timestamps).</summary>
public readonly record struct PreviewShown(long CameraTimestamp, long ShownTimestamp);

/// <summary>
/// Keeps the screen in step with the appliance: each status (and the host link, and a wipe)
/// becomes what the screen shows (<see cref="ScreenModel"/>); the text regions are drawn and sent
/// when they change; while a step is armed, the preview streams from the step's camera into its
/// region, at most <see cref="ScreenOptions.PreviewFramesPerSecond"/>, and stops whenever a
/// capture takes the cameras (<see cref="CameraArbiter"/>), so it never holds a frame a capture
/// needs. The overview's preview carries a circle where the lesion lies when the head points at
/// it (<see cref="OverviewAiming"/>), so staff aim with it. Preview frames are drawn and dropped:
/// never stored, never sent. Dark when idle.
/// </summary>
public sealed partial class ScreenService(
    IScreenPanel panel,
    IPreviewSource previews,
    CameraArbiter arbiter,
    IIlluminator illuminator,
    StatusFeed statuses,
    HostLink hostLink,
    WipeSignal wipe,
    IOptions<ScreenOptions> options,
    IOptions<OverviewOptions> overview,
    TimeProvider time,
    ILogger<ScreenService> logger) : BackgroundService
{
    /// <summary>The size the preview is asked for: 320×240, whose rows need no padding in any camera's output, scaled down into the region.</summary>
    public static readonly Size PreviewSize = new(320, 240);

    /// <summary>The aiming circle's colour: yellow, seen on skin and on a clinic's walls.</summary>
    public static readonly ushort AimColour = ScreenCanvas.Rgb565(255, 214, 10);

    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ScreenCanvas _canvas = new();
    private readonly byte[] _region = new byte[ScreenCanvas.Width * ScreenCanvas.Height * 2];
    private readonly Lock _panelLock = new();
    private ScreenContent _content = ScreenContent.Dark;
    private int _queued;
    private long _version;
    private ITimer? _hold;
    private CancellationTokenSource? _pumpStop;
    private Task _pump = Task.CompletedTask;
    private PreviewCamera? _pumping;

    /// <summary>What the screen shows now.</summary>
    public ScreenContent Content => Volatile.Read(ref _content);

    /// <summary>Raised once the panel shows new content (not for each preview frame).</summary>
    public event Action<ScreenContent>? Shown;

    /// <summary>Raised for each preview frame once its last byte went to the panel.</summary>
    public event Action<PreviewShown>? PreviewFrameShown;

    private sealed record LinkChanged;

    private sealed record Wiping;

    private sealed record HoldEnded(long Version);

    private sealed record IdentifyEnded(long Version);

    private sealed record PreviewMayResume;

    /// <summary>Listens before the loop starts (which runs on its own thread), so no status published meanwhile is missed.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        statuses.Published += OnStatus;
        hostLink.Changed += OnLink;
        arbiter.Released += OnReleased;
        _ = wipe.Requested.ContinueWith(_ => _events.Writer.TryWrite(new Wiping()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return base.StartAsync(cancellationToken);
    }

    private void OnStatus(ApplianceStatus status) => _events.Writer.TryWrite(status);

    private void OnLink(bool connected) => _events.Writer.TryWrite(new LinkChanged());

    private void OnReleased() => _events.Writer.TryWrite(new PreviewMayResume());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ShowAsync(ScreenContent.Dark);
            await foreach (var e in _events.Reader.ReadAllAsync(stoppingToken))
            {
                switch (e)
                {
                    case ApplianceStatus status:
                        _queued = status.QueueDepth;
                        await ShowAsync(ScreenModel.Next(_content, status));
                        break;
                    case Wiping:
                        await ShowAsync(new ScreenContent(Lit: true, Alert: "WIPING"));
                        break;
                    case HoldEnded ended when ended.Version == _version:
                        await ShowAsync(ScreenContent.Dark);
                        break;
                    case IdentifyEnded ended when ended.Version == _version:
                        // As the status LED goes back from white: the code stays, no longer picked out.
                        await ShowAsync(_content with { Identifying = false, Verdict = null });
                        break;
                    case LinkChanged when _content.Lit && _content.Alert is null:
                        Paint(_content);
                        break;
                    case PreviewMayResume:
                        StartPreviewIfWanted();
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            statuses.Published -= OnStatus;
            hostLink.Changed -= OnLink;
            arbiter.Released -= OnReleased;
            _hold?.Dispose();
            await StopPreviewAsync();
            Paint(ScreenContent.Dark); // nothing left on the panel when the firmware stops
        }
    }

    private async Task ShowAsync(ScreenContent content)
    {
        _version++;
        _hold?.Dispose();
        _hold = null;
        if (_pumping is not null && content.Preview != _pumping)
        {
            await StopPreviewAsync();
        }

        Volatile.Write(ref _content, content);
        Paint(content);
        var version = _version;
        if (content.HoldUntilDark)
        {
            _hold = time.CreateTimer(_ => _events.Writer.TryWrite(new HoldEnded(version)), null, options.Value.VerdictHold, Timeout.InfiniteTimeSpan);
        }
        else if (content.Identifying)
        {
            _hold = time.CreateTimer(_ => _events.Writer.TryWrite(new IdentifyEnded(version)), null, Gpio.GpioStatusIndicator.IdentifyFor, Timeout.InfiniteTimeSpan);
        }

        StartPreviewIfWanted();
        LogShown(logger, content.Lit, content.Preview, content.Verdict);
        Shown?.Invoke(content);
    }

    /// <summary>Draws and sends everything but the preview's frames; dark: black, backlight off. A panel that fails is logged: the appliance captures without it.</summary>
    private void Paint(ScreenContent content)
    {
        try
        {
            PaintOnPanel(content);
        }
        catch (Exception ex) when (IsPanelFailure(ex))
        {
            LogPanelFailed(logger, ex.Message);
        }
    }

    private void PaintOnPanel(ScreenContent content)
    {
        lock (_panelLock)
        {
            ScreenPainter.Paint(_canvas, content, hostLink.Connected, _queued);
            if (!content.Lit || content.Alert is not null)
            {
                Send(ScreenLayout.Whole);
                panel.Backlight(content.Lit);
                return;
            }

            foreach (var region in ScreenLayout.TextRegions)
            {
                Send(region);
            }

            if (content.Preview is null)
            {
                Send(ScreenLayout.Preview);
            }

            panel.Backlight(true);
        }
    }

    /// <summary>Sends a region of the canvas; under the panel lock.</summary>
    private void Send(Rectangle region)
    {
        var bytes = _region.AsSpan(0, region.Width * region.Height * 2);
        _canvas.CopyRegion(region, bytes);
        panel.Write(region, bytes);
    }

    private void StartPreviewIfWanted()
    {
        if (_content.Preview is not { } camera || !_pump.IsCompleted)
        {
            return;
        }

        _pumpStop = new CancellationTokenSource();
        _pumping = camera;
        _pump = PumpAsync(camera, _pumpStop.Token);
    }

    private async Task StopPreviewAsync()
    {
        if (_pumpStop is { } stop)
        {
            await stop.CancelAsync();
            await _pump;
            stop.Dispose();
            _pumpStop = null;
        }

        _pumping = null;
    }

    /// <summary>Streams the camera into the preview region until stopped or a capture takes the cameras; the region is cleared after.</summary>
    private async Task PumpAsync(PreviewCamera camera, CancellationToken stop)
    {
        await Task.Yield();
        CameraArbiter.Lease? lease;
        try
        {
            lease = await arbiter.TryTakeForPreviewAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return; // stopped before it began: the next status came first
        }

        if (lease is null)
        {
            return; // a capture has the cameras; it says when they are free
        }

        using var held = lease;

        var period = TimeSpan.FromSeconds(1.0 / options.Value.PreviewFramesPerSecond);
        try
        {
            if (camera == PreviewCamera.Dermoscopic)
            {
                // The skin under the head is dark without a ring: the cross-polarised one, without glare.
                illuminator.Light(LightingMode.CrossPolarised);
            }

            (double X, double Y, double Radius)? aim = camera == PreviewCamera.Overview ? AimOnThePreview(OverviewAiming.Aim(overview.Value)) : null;
            var next = time.GetTimestamp();
            await foreach (var frame in previews.StreamAsync(camera, PreviewSize.Width, PreviewSize.Height, lease.Token))
            {
                lock (_panelLock)
                {
                    _canvas.Picture(ScreenLayout.Preview, frame.Rgb24, frame.Width, frame.Height);
                    if (aim is { } a)
                    {
                        _canvas.Ring(ScreenLayout.Preview, a.X, a.Y, a.Radius, 2, AimColour);
                    }

                    Send(ScreenLayout.Preview);
                }

                PreviewFrameShown?.Invoke(new PreviewShown(frame.Timestamp, time.GetTimestamp()));
                next += (long)(period.TotalSeconds * time.TimestampFrequency);
                var wait = time.GetElapsedTime(time.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, lease.Token);
                }
            }
        }
        catch (OperationCanceledException) when (lease.Token.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The preview is an aid: whatever stops it (the camera tool, the panel), capture goes on without it.
            LogPreviewFailed(logger, camera, ex.Message);
        }
        finally
        {
            if (camera == PreviewCamera.Dermoscopic)
            {
                illuminator.AllOff();
            }

            ClearPreview();
        }
    }

    /// <summary>No frame lingers once the preview stops (unless the panel itself has failed, which is logged).</summary>
    private void ClearPreview()
    {
        try
        {
            lock (_panelLock)
            {
                _canvas.Fill(ScreenLayout.Preview, ScreenPainter.Black);
                Send(ScreenLayout.Preview);
            }
        }
        catch (Exception ex) when (IsPanelFailure(ex))
        {
            LogPanelFailed(logger, ex.Message);
        }
    }

    /// <summary>What a panel that is unplugged, gone or refused throws: logged, and the appliance goes on without it.</summary>
    private static bool IsPanelFailure(Exception ex) =>
        ex is IOException or InvalidOperationException or ObjectDisposedException or UnauthorizedAccessException;

    /// <summary>The overview's aim (fractions of the frame) in the preview region's pixels: centre and radius.</summary>
    public static (double X, double Y, double Radius) AimOnThePreview(OverviewAim aim)
    {
        ArgumentNullException.ThrowIfNull(aim);
        var region = ScreenLayout.Preview;
        return (region.Left + (aim.X * region.Width), region.Top + (aim.Y * region.Height), aim.Radius * region.Width);
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Debug, Message = "Screen: lit {Lit}, preview {Preview}, verdict {Verdict}")]
    private static partial void LogShown(ILogger logger, bool lit, PreviewCamera? preview, string? verdict);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Warning, Message = "The screen's panel failed: {Reason}; the appliance goes on without it")]
    private static partial void LogPanelFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "The {Camera} preview stopped: {Reason}")]
    private static partial void LogPreviewFailed(ILogger logger, PreviewCamera camera, string reason);
}
