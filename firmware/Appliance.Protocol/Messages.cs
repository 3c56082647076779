using System.Text.Json.Serialization;

namespace Appliance.Protocol;

/// <summary>
/// Host → device: arm for one series. Carries only a pseudonymous episode code; the patient
/// identifier never leaves the host. <paramref name="Overview"/>: take an overview first (null,
/// and absent from the JSON, for no overview, so an appliance that predates it reads the job).
/// </summary>
public sealed record CaptureJob(
    string JobId,
    string EpisodeCode,
    string BodySite,
    ConsentScope ConsentScope,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    bool? Overview = null)
{
    /// <summary>True when the job asks for an overview before the dermoscopic pair.</summary>
    public bool WantsOverview => Overview == true;

    /// <summary>
    /// Null if the job may arm an appliance. Machine-made fields must have their strict
    /// formats; the body site, typed by staff, must be anatomical terms only and hold nothing
    /// like an NHS number, a date or a name. Reasons never repeat the offending text.
    /// </summary>
    public string? Validate()
    {
        if (!IsValidJobId(JobId))
        {
            return "jobId must be 1–64 letters, digits or hyphens";
        }

        if (!EpisodeCodes.IsValid(EpisodeCode))
        {
            return "episodeCode is not an episode code (EP- and ten characters of its alphabet)";
        }

        return BodySites.Check(BodySite) ?? (ExpiresAt <= IssuedAt ? "expiresAt is not after issuedAt" : null);
    }

    public static bool IsValidJobId(string? jobId) =>
        jobId is { Length: > 0 and <= 64 } && jobId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}

/// <summary>
/// Host → device: run a calibration with the target (white card, then the chart, under both
/// rings, staff pressing capture for each). Statuses about the run carry its id as their order id.
/// </summary>
public sealed record CalibrationRequest(string RunId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    public string? Validate() =>
        !CaptureJob.IsValidJobId(RunId) ? "runId must be 1–64 letters, digits or hyphens"
        : ExpiresAt <= IssuedAt ? "expiresAt is not after issuedAt"
        : null;
}

/// <summary>
/// Asks the appliance armed for <see cref="JobId"/> to show itself (light and buzzer), so staff
/// can match the job on the page with the appliance in front of them; one armed for any other job,
/// or none, stays as it is.
/// </summary>
public sealed record IdentifyRequest(string JobId)
{
    public string? Validate() => CaptureJob.IsValidJobId(JobId) ? null : "jobId must be 1–64 letters, digits or hyphens";
}

/// <summary>
/// Host → device on the command topic: arm for a capture job, start a calibration run, show which
/// appliance is armed for a job, or install a firmware release. Signed by the host like its orders (bound to the device id and its signing
/// key, a counter that must rise, an expiry), under its own domain prefix and with its own
/// counter, so a broker that sees commands in clear can neither forge one nor play one again.
/// </summary>
public sealed record HostCommand(
    string Kind,
    CaptureJob? CaptureJob = null,
    CalibrationRequest? Calibration = null,
    string? DeviceId = null,
    string? DeviceKey = null,
    long Counter = 0,
    DateTimeOffset IssuedAt = default,
    DateTimeOffset ExpiresAt = default,
    string? Signature = null,
    Releases.UpdateOrder? Update = null,
    IdentifyRequest? Identify = null)
{
    public const string CaptureJobKind = "capture-job";
    public const string CalibrateKind = "calibrate";

    /// <summary>Show which appliance is armed for a job: <see cref="Identify"/> names it.</summary>
    public const string IdentifyKind = "identify";

    /// <summary>Install a firmware release: <see cref="Update"/> names the package and its chunks.</summary>
    public const string UpdateKind = "update";

    private static readonly byte[] Domain = System.Text.Encoding.ASCII.GetBytes("appliance-host-command-v1\n");

    /// <summary>What the host's signature covers: a domain prefix and the command's JSON without the signature.</summary>
    public byte[] SignedBytes() => [.. Domain, .. ProtocolJson.Serialize(this with { Signature = null })];

    public string? Validate() => Kind switch
    {
        CaptureJobKind when CaptureJob is null => "capture-job command without captureJob",
        CaptureJobKind => CaptureJob.Validate(),
        CalibrateKind when Calibration is null => "calibrate command without calibration",
        CalibrateKind => Calibration.Validate(),
        UpdateKind when Update is null => "update command without update",
        UpdateKind => Update.Validate(),
        IdentifyKind when Identify is null => "identify command without identify",
        IdentifyKind => Identify.Validate(),
        _ => $"unknown command kind '{Kind}'",
    };

    /// <summary>Null if this appliance must act on the command; otherwise why not (signature first, then binding, then freshness).</summary>
    public string? Check(byte[] hostSigningPublicKey, string deviceId, byte[] deviceSigningPublicKey, long lastCounter, DateTimeOffset now, TimeSpan clockSkew) =>
        !SeriesSigning.VerifyBytes(hostSigningPublicKey, SignedBytes(), Signature) ? "not signed by this appliance's host"
        : HostInstructions.CheckBinding(DeviceId, DeviceKey, Counter, IssuedAt, ExpiresAt, deviceId, deviceSigningPublicKey, lastCounter, now, clockSkew);
}

/// <summary>The checks every signed instruction from the host passes after its signature: for this device and key, new, in date.</summary>
public static class HostInstructions
{
    public static string? CheckBinding(
        string? deviceIdNamed,
        string? deviceKeyNamed,
        long counter,
        DateTimeOffset issuedAt,
        DateTimeOffset expiresAt,
        string deviceId,
        byte[] deviceSigningPublicKey,
        long lastCounter,
        DateTimeOffset now,
        TimeSpan clockSkew) =>
        deviceIdNamed != deviceId ? "addressed to another device"
        : deviceKeyNamed != Convert.ToBase64String(deviceSigningPublicKey) ? "bound to another device key (issued before this appliance was provisioned again)"
        : counter <= lastCounter ? $"replayed: counter {counter} is not above {lastCounter}"
        : expiresAt <= now ? $"expired at {expiresAt:O}"
        : issuedAt > now + clockSkew ? "issued in the future"
        : null;
}

/// <summary>The fixed settings a frame was taken with (no auto anything).</summary>
public sealed record CameraSettings(
    int Width,
    int Height,
    TimeSpan Exposure,
    double AnalogueGain,
    double RedGain,
    double BlueGain,
    double LensPosition);

/// <summary>
/// On-device quality results for one series: the verdict, its reasons ("too dark",
/// "overexposed", "glare", "blurred", "moved"), and the measurements behind them: mean level and
/// clipped share of the cross-polarised frame, focus as the calibration target's edge width over
/// the frames' (1: as sharp as the optics allow; the lower frame's, 0 where no edge could be
/// measured), the estimated shift between the frames in pixels, and the defocus beyond the optics'
/// own blur in review pixels (the larger frame's; null where no edge could be measured, and in
/// series from before it was reported).
/// </summary>
public sealed record QualityReport(
    bool Accepted,
    string[] Reasons,
    double MeanLevel,
    double ClippedHighlightFraction,
    double FocusRatio,
    double MotionPixels,
    double? DefocusPixels = null);

/// <summary>
/// One sealed frame inside a series envelope, in body order. <paramref name="Role"/> null is a
/// frame of the dermoscopic pair (and keeps series without an overview readable by a host that
/// predates it).
/// </summary>
public sealed record FrameDescriptor(
    int Index,
    LightingMode Lighting,
    int Width,
    int Height,
    string PixelFormat,
    string Sha256,
    int SealedLength,
    FrameRole? Role = null)
{
    public FrameRole RoleOrDefault => Role ?? FrameRole.Dermoscopic;
}

/// <summary>How the frames were sealed: X25519 with an ephemeral key per series, HKDF-SHA256, XChaCha20-Poly1305.</summary>
public sealed record SealingHeader(string Algorithm, string EphemeralPublicKey);

/// <summary>
/// The only clear part of a series upload: what the host needs to derive the series key and
/// split the body. Everything else, the manifest included, is sealed to the host.
/// </summary>
public sealed record SeriesRouting(string SeriesId, string DeviceId, SealingHeader Sealing, int SealedManifestLength, int[] SealedFrameLengths, string? Signature = null)
{
    public string? Validate()
    {
        if (!Guid.TryParse(SeriesId, out _))
        {
            return "seriesId is not a GUID";
        }

        if (!Protocol.DeviceId.IsValid(DeviceId))
        {
            return "deviceId is not a valid device id";
        }

        if (Sealing is null || Sealing.Algorithm != SeriesSealing.Algorithm)
        {
            return "unknown sealing algorithm";
        }

        if (SealedManifestLength <= SeriesSealing.Overhead || SealedManifestLength > SeriesEnvelope.MaxHeaderBytes)
        {
            return "impossible sealed manifest length";
        }

        if (SealedFrameLengths is null || SealedFrameLengths.Length is 0 or > SeriesManifest.MaxFrames || SealedFrameLengths.Any(l => l <= SeriesSealing.Overhead))
        {
            return $"a series holds 1 to {SeriesManifest.MaxFrames} frames of possible lengths";
        }

        return string.IsNullOrEmpty(Signature) || Signature.Length > 128 ? "signature missing" : null;
    }
}

/// <summary>
/// What the appliance records about a series. Sealed to the host inside the upload (and in
/// the appliance's store); the frames follow it, each sealed on its own. A series with an
/// overview carries it as its last frame, with the settings it was taken with, its own checks and
/// where in it the lesion lies.
/// </summary>
public sealed record SeriesManifest(
    string SeriesId,
    string DeviceId,
    string FirmwareVersion,
    string JobId,
    string EpisodeCode,
    string BodySite,
    ConsentScope ConsentScope,
    DateTimeOffset CapturedAt,
    CameraSettings Camera,
    string CalibrationId,
    int RetakeCount,
    QualityReport Quality,
    SealingHeader Sealing,
    FrameDescriptor[] Frames,
    CameraSettings? OverviewCamera = null,
    QualityReport? OverviewQuality = null,
    OverviewAim? OverviewAim = null)
{
    public const int MaxFrames = 8;

    /// <summary>The overview's descriptor, if the series has one.</summary>
    public FrameDescriptor? Overview => Frames?.FirstOrDefault(f => f?.RoleOrDefault == FrameRole.Overview);

    public string? Validate()
    {
        if (!Guid.TryParse(SeriesId, out _))
        {
            return "seriesId is not a GUID";
        }

        if (!Protocol.DeviceId.IsValid(DeviceId))
        {
            return "deviceId is not a valid device id";
        }

        if (Frames is null || Frames.Length is 0 or > MaxFrames)
        {
            return $"a series holds 1 to {MaxFrames} frames";
        }

        if (Sealing is null || Sealing.Algorithm != SeriesSealing.Algorithm)
        {
            return "unknown sealing algorithm";
        }

        if (string.IsNullOrWhiteSpace(EpisodeCode) || string.IsNullOrWhiteSpace(JobId))
        {
            return "jobId or episodeCode missing";
        }

        for (var i = 0; i < Frames.Length; i++)
        {
            var f = Frames[i];
            if (f is null || f.Index != i)
            {
                return $"frame {i} missing or out of order";
            }

            if (f.SealedLength <= SeriesSealing.Overhead || f.Width <= 0 || f.Height <= 0)
            {
                return $"frame {i} has impossible dimensions";
            }

            if (f.Sha256 is null || f.Sha256.Length != 64 || !f.Sha256.All(char.IsAsciiHexDigitLower))
            {
                return $"frame {i} digest is not lower-case hex SHA-256";
            }

            // The overview is taken in the room's light, the dermoscopic frames under a ring.
            if ((f.RoleOrDefault == FrameRole.Overview) != (f.Lighting == LightingMode.Ambient))
            {
                return $"frame {i} is {f.RoleOrDefault} under {f.Lighting} light";
            }
        }

        var overviews = Frames.Count(f => f.RoleOrDefault == FrameRole.Overview);
        return overviews > 1 ? "a series holds at most one overview"
            : (overviews == 1) != (OverviewCamera is not null && OverviewQuality is not null) ? "an overview goes with its camera settings and checks, and only with them"
            : OverviewAim is not null && overviews == 0 ? "an overview's aim goes only with an overview"
            : OverviewAim?.Problem();
    }
}

/// <summary>Host → device: the series is filed and verified; the appliance may delete its copy.</summary>
public sealed record FiledReceipt(string SeriesId, string DeviceId, DateTimeOffset FiledAt, string[] FrameSha256, string ArchiveReference, string? Signature = null)
{
    // Receipts, orders and commands are signed by the same host key: a prefix of its own each keeps one from passing for another.
    private static readonly byte[] Domain = System.Text.Encoding.ASCII.GetBytes("appliance-host-receipt-v1\n");

    /// <summary>What the host's signature covers: a domain prefix and the receipt's JSON without the signature.</summary>
    public byte[] SignedBytes() => [.. Domain, .. ProtocolJson.Serialize(this with { Signature = null })];
}

/// <summary>
/// Device → host: what the appliance is doing now. Each id has a field of its own: the series an
/// <c>accepted</c> state stored, the calibration run a <c>calibration-*</c> state belongs to and the
/// profile a <c>calibrated</c> one made, the host order a <c>wiping</c> state obeys; <c>Reason</c>
/// is only ever words for a person. Calibration and integrity-check times and the calibration's
/// held-out ΔE00 (the worse ring's) feed the fleet view.
/// </summary>
public sealed record ApplianceStatus(
    string DeviceId,
    ApplianceState State,
    string FirmwareVersion,
    int QueueDepth,
    DateTimeOffset At,
    string? JobId = null,
    string? Reason = null,
    string? OrderId = null,
    DateTimeOffset? CalibratedAt = null,
    DateTimeOffset? IntegrityCheckedAt = null,
    double? CalibrationDeltaE = null,
    string? SigningKey = null,
    string? SeriesId = null,
    string? CalibrationRunId = null,
    string? ProfileId = null,
    CaptureStep? Step = null)
{
    private static readonly HashSet<ApplianceState> CalibrationStates =
    [
        ApplianceState.Calibrating, ApplianceState.Calibrated, ApplianceState.CalibrationFailed,
        ApplianceState.CalibrationRefused, ApplianceState.CalibrationCancelled,
    ];

    /// <summary>True for the states of a calibration run, which name it in <see cref="CalibrationRunId"/>.</summary>
    public static bool IsCalibrationState(ApplianceState state) => CalibrationStates.Contains(state);

    public string? Validate() =>
        !Protocol.DeviceId.IsValid(DeviceId) ? "deviceId is not a valid device id"
        : !Enum.IsDefined(State) ? "state is not one the protocol knows"
        : QueueDepth < 0 ? "queueDepth is negative"
        : SeriesId is not null && !Guid.TryParse(SeriesId, out _) ? "seriesId is not a series id"
        : State == ApplianceState.Accepted && SeriesId is null ? "an accepted state names no seriesId"
        : IsCalibrationState(State) != (CalibrationRunId is not null) ? "calibrationRunId goes with the calibration states, and only with them"
        : State == ApplianceState.Calibrated && ProfileId is null ? "a calibrated state names no profileId"
        : State == ApplianceState.Wiping && OrderId is null ? "a wiping state names no orderId"
        : null;
}

/// <summary>
/// What a wipe destroyed, for the operator and the host: the key material by name, how many
/// series were still waiting for the host and so are lost, and how long it took; signed with
/// the appliance's Ed25519 key just before that key is destroyed.
/// </summary>
/// <para>Trigger and the order obeyed (for a remote wipe) tell the host which of its orders this confirms.</para>
public sealed record WipeReport(
    string DeviceId,
    DateTimeOffset WipedAt,
    string[] Destroyed,
    int UnsentSeriesLost,
    long ElapsedMilliseconds,
    WipeTrigger Trigger = WipeTrigger.Local,
    string? OrderId = null,
    string? Signature = null)
{
    // The device key also signs series and calibration profiles: a prefix of its own keeps a report from passing for either.
    private static readonly byte[] Domain = System.Text.Encoding.ASCII.GetBytes("appliance-wipe-report-v1\n");

    /// <summary>What the signature covers: a domain prefix and the report's JSON without the signature.</summary>
    public byte[] SignedBytes() => [.. Domain, .. ProtocolJson.Serialize(this with { Signature = null })];
}
