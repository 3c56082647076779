using System.Threading.Channels;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>One frame as the camera delivered it. <see cref="Pixels"/> is patient data: never logged, cleared after sealing.</summary>
public sealed record CapturedFrame(LightingMode Lighting, int Width, int Height, string PixelFormat, byte[] Pixels)
{
    public const string Rgb24 = "rgb24";
}

/// <summary>A camera that takes one frame with fixed settings (no auto exposure, gain, white balance or focus).</summary>
public interface ICamera
{
    Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken);
}

/// <summary>The two LED rings. Implementations guarantee that lighting one ring turns the other off first.</summary>
public interface IIlluminator
{
    void Light(LightingMode ring);

    void AllOff();
}

/// <summary>What the status LED (and buzzer) shows staff.</summary>
public enum IndicatorState
{
    Idle,
    Armed,
    Busy,
    Accepted,
    Retake,
    Fault,

    /// <summary>A calibration run waits for the next card: magenta, one beep.</summary>
    Calibrating,

    /// <summary>The host asked which appliance is armed for a job, and it is this one: white, three beeps, for a few seconds, then as before.</summary>
    Identify,

    /// <summary>Armed for a job's overview, the head held 20–40 cm away: blue, blinking.</summary>
    ArmedForOverview,

    /// <summary>The overview is taken; armed for the head on the lesion: steady blue (as <see cref="Armed"/>), one beep.</summary>
    OverviewTaken,
}

public interface IStatusIndicator
{
    void Show(IndicatorState state);
}

/// <summary>How long the capture button was held.</summary>
public enum PressKind
{
    /// <summary>Pressed and released: capture.</summary>
    Tap,

    /// <summary>Held past the long-press time: cancel the armed job.</summary>
    Hold,
}

/// <summary>A debounced press of the capture button, and when it began.</summary>
public sealed record ButtonPress(DateTimeOffset At, PressKind Kind = PressKind.Tap);

public interface ITriggerButton
{
    ChannelReader<ButtonPress> Presses { get; }
}

/// <summary>What the operating-system checks last found; the state machine will not arm while an enforced problem stands.</summary>
public interface ISystemIntegrity
{
    IReadOnlyList<string> Problems { get; }

    /// <summary>False only in development (checks report but do not block).</summary>
    bool Enforced { get; }

    /// <summary>When the checks last ran; null if they never do.</summary>
    DateTimeOffset? CheckedAt { get; }
}

/// <summary>No checks: for compositions without an operating system to check (unit tests, benchmarks).</summary>
public sealed class UncheckedSystem : ISystemIntegrity
{
    public IReadOnlyList<string> Problems => [];

    public bool Enforced => false;

    public DateTimeOffset? CheckedAt => null;
}

/// <summary>
/// The overview camera: a second camera module facing forward from the head, focused for 20–40 cm,
/// lit by the room. The dermoscopic camera cannot take the overview: its close-up lens focuses it
/// at the contact plate and nowhere else (hardware/README.md).
/// </summary>
/// <summary>
/// Stops whatever else uses the cameras and rings (the screen's live preview) for a capture, and
/// waits until it has; disposing the result lets it go on. Without a screen, nothing to stop.
/// </summary>
public interface IPreviewSuspension
{
    Task<IDisposable> SuspendAsync(CancellationToken cancellationToken);
}

/// <summary>No preview to stop: an appliance without a screen.</summary>
public sealed class NoPreview : IPreviewSuspension
{
    public static readonly NoPreview Instance = new();

    public Task<IDisposable> SuspendAsync(CancellationToken cancellationToken) => Task.FromResult<IDisposable>(Released.Instance);

    private sealed class Released : IDisposable
    {
        public static readonly Released Instance = new();

        public void Dispose()
        {
        }
    }
}

public interface IOverviewCamera
{
    /// <summary>One frame in the room's light (<see cref="LightingMode.Ambient"/>).</summary>
    Task<CapturedFrame> CaptureAsync(CameraSettings settings, CancellationToken cancellationToken);
}
