using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>Where the capture state machine is.</summary>
public enum CaptureState
{
    Idle,
    Armed,
    Capturing,
    Checking,

    /// <summary>A calibration run waits for a card and a press.</summary>
    Calibrating,

    /// <summary>An update is being installed: nothing arms until the appliance restarts into it (or the install fails).</summary>
    Updating,
}

public enum CaptureOutcomeKind
{
    /// <summary>Nothing to do: not armed, or already busy.</summary>
    Ignored,
    Accepted,

    /// <summary>The overview passed its checks and is held for the dermoscopic pair: the job stays armed for it.</summary>
    OverviewTaken,
    Retake,
    Fault,
}

public sealed record CaptureOutcome(CaptureOutcomeKind Kind, string? SeriesId = null, string[]? Reasons = null)
{
    public static readonly CaptureOutcome Ignored = new(CaptureOutcomeKind.Ignored);
}

/// <summary>
/// The capture state machine: idle → armed (a job from the host) → capturing → checking →
/// accepted (sealed, stored, queued) or retake (reason shown, counted, still armed), or
/// for a job that asks for one, an overview first (<see cref="OverviewStep"/>), held until the
/// pair joins it; or
/// calibrating while a <see cref="CalibrationSession"/> holds a run. One transition at a time;
/// a press while busy is ignored, not queued. Its stages are their own classes: the
/// <see cref="CaptureSequencer"/> takes the frames, the <see cref="SeriesQualityChecker"/> judges
/// them, the <see cref="SeriesPackager"/> seals and signs an accepted series.
/// </summary>
public sealed partial class CaptureCoordinator(
    CaptureSequencer sequencer,
    SeriesQualityChecker checker,
    ISeriesStore store,
    FrameBufferPool pool,
    ISystemIntegrity integrity,
    ICalibrationStore calibration,
    IOptions<CalibrationOptions> calibrationOptions,
    CalibrationSession calibrationSession,
    SeriesPackager packager,
    IStatusIndicator indicator,
    ApplianceIdentity identity,
    StatusFeed statusFeed,
    WorkSignal uploadSignal,
    TimeProvider time,
    IOptions<CaptureOptions> options,
    ILogger<CaptureCoordinator> logger,
    OverviewStep? overviewStep = null) : ICaptureCommands, IUpdateHold, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CaptureJob? _job;
    private int _retakes;

    public CaptureState State { get; private set; } = CaptureState.Idle;

    public CaptureJob? ArmedJob => _job;

    /// <summary>Arms for a job. A newer job replaces an armed one; a job that has expired is refused.</summary>
    public async Task<bool> ArmAsync(CaptureJob job, CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            LogArmRefused(logger, job.JobId, "a capture is in progress");
            return false;
        }

        try
        {
            if (job.ExpiresAt <= time.GetUtcNow())
            {
                LogArmRefused(logger, job.JobId, "the job has expired");
                await ReportAsync(ApplianceState.Idle, job.JobId, "job expired", cancellationToken);
                return false;
            }

            if (State is CaptureState.Calibrating or CaptureState.Updating)
            {
                var busy = State == CaptureState.Updating
                    ? "a firmware update is being installed: the appliance restarts into it shortly; send the job again then"
                    : "a calibration run is in progress: finish or cancel it (hold the button) first";
                LogArmRefused(logger, job.JobId, busy);
                await ReportAsync(ApplianceState.Refused, job.JobId, busy, cancellationToken);
                return false;
            }

            // Better to refuse the job now than to capture a series that is unsafe, uncalibrated or cannot be kept.
            var (calibrationRefusal, calibrationWarning) = CalibrationGate.Check(calibration.Current, calibrationOptions.Value, time.GetUtcNow());
            var refusal = integrity.Enforced && integrity.Problems.Count > 0
                ? "appliance unsafe for patient data: " + string.Join("; ", integrity.Problems)
                : calibrationRefusal ?? await store.CheckRoomAsync(ExpectedSeriesBytes(job), cancellationToken);
            if (refusal is not null)
            {
                LogArmRefused(logger, job.JobId, refusal);
                indicator.Show(IndicatorState.Fault);
                await ReportAsync(ApplianceState.Refused, job.JobId, refusal, cancellationToken);
                return false;
            }

            DropOverview(); // a newer job replaces the one whose overview this was
            _job = job;
            _retakes = 0;
            State = CaptureState.Armed;
            indicator.Show(NeedsOverview(job) ? IndicatorState.ArmedForOverview : IndicatorState.Armed);
            LogArmed(logger, job.JobId);
            if (calibrationWarning is not null)
            {
                LogArmedUncalibrated(logger, job.JobId, calibrationWarning);
            }

            var warning = string.Join("; ", new[] { calibrationWarning, OverviewWarning(job) }.OfType<string>());
            // The warnings ride on the armed status, so staff and the host see them with the job.
            await ReportAsync(ApplianceState.Armed, job.JobId, warning.Length == 0 ? null : warning, cancellationToken);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A job that failed validation (identifying text, a malformed field) is not armed; the
    /// host is told why. The reason never repeats the job's content, and the state is unchanged.
    /// </summary>
    public async Task RefuseJobAsync(string? jobId, string reason, CancellationToken cancellationToken)
    {
        LogJobRefused(logger, jobId ?? "(unreadable)", reason);
        await ReportAsync(ApplianceState.Refused, jobId, reason, cancellationToken);
    }

    public async Task<CaptureOutcome> HandlePressAsync(ButtonPress press, CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return CaptureOutcome.Ignored;
        }

        try
        {
            if (State == CaptureState.Calibrating)
            {
                var outcome = await calibrationSession.PressAsync(cancellationToken);
                FollowCalibration();
                return outcome;
            }

            var job = _job;
            if (State != CaptureState.Armed || job is null)
            {
                LogPressIgnored(logger, State);
                return CaptureOutcome.Ignored;
            }

            if (job.ExpiresAt <= time.GetUtcNow())
            {
                Disarm();
                await ReportAsync(ApplianceState.Idle, job.JobId, "job expired", cancellationToken);
                return CaptureOutcome.Ignored;
            }

            return NeedsOverview(job) ? await CaptureOverviewAsync(job, cancellationToken) : await CaptureAsync(job, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Staff cancel the armed job (a long press): the appliance goes idle and tells the host, so
    /// the job can be re-issued or closed there. Nothing to cancel when idle or busy.
    /// </summary>
    public async Task<bool> CancelAsync(CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return false;
        }

        try
        {
            if (State == CaptureState.Calibrating)
            {
                var cancelled = await calibrationSession.CancelAsync(cancellationToken);
                FollowCalibration();
                return cancelled;
            }

            var job = _job;
            if (State != CaptureState.Armed || job is null)
            {
                return false;
            }

            var retakes = _retakes;
            Disarm();
            indicator.Show(IndicatorState.Idle);
            LogCancelled(logger, job.JobId, retakes);
            await ReportAsync(ApplianceState.Cancelled, job.JobId, "cancelled on the appliance", cancellationToken);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Starts a calibration run from the host: refused while a job is armed or a capture is
    /// under way (staff are with a patient). A newer run replaces one waiting for its cards.
    /// </summary>
    public async Task<bool> StartCalibrationAsync(CalibrationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            await calibrationSession.RefuseAsync(request, "a capture is in progress", cancellationToken);
            return false;
        }

        try
        {
            var refusal = request.ExpiresAt <= time.GetUtcNow() ? "the request has expired"
                : State == CaptureState.Armed ? "a capture job is armed: finish or cancel it first"
                : State == CaptureState.Updating ? "a firmware update is being installed"
                : null;
            if (refusal is not null)
            {
                await calibrationSession.RefuseAsync(request, refusal, cancellationToken);
                return false;
            }

            await calibrationSession.BeginAsync(request, cancellationToken);
            State = CaptureState.Calibrating;
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Back to idle once the calibration session has ended its run (made a profile, failed, expired or was cancelled).</summary>
    private void FollowCalibration()
    {
        if (State == CaptureState.Calibrating && !calibrationSession.Active)
        {
            State = CaptureState.Idle;
            BecameIdle?.Invoke(this, EventArgs.Empty);
        }
    }

    private async Task<CaptureOutcome> CaptureAsync(CaptureJob job, CancellationToken cancellationToken)
    {
        State = CaptureState.Capturing;
        indicator.Show(IndicatorState.Busy);
        await ReportAsync(ApplianceState.Capturing, job.JobId, null, cancellationToken);
        CapturedSeries series;
        var started = time.GetTimestamp();
        try
        {
            series = await sequencer.CaptureSeriesAsync(cancellationToken);
        }
        catch (CaptureFaultException ex)
        {
            State = CaptureState.Armed;
            indicator.Show(IndicatorState.Fault);
            LogCaptureFault(logger, ex.Message);
            await ReportAsync(ApplianceState.Fault, job.JobId, ex.Message, cancellationToken);
            return new CaptureOutcome(CaptureOutcomeKind.Fault, Reasons: [ex.Message]);
        }

        // Plaintext pixels live only in memory, and only until they are sealed or refused:
        // disposing the series (at the end of this method, whatever happens) clears them.
        using var pixels = series;
        try
        {
            var frames = pixels.Frames;
            State = CaptureState.Checking;
            var captured = time.GetTimestamp();
            var quality = checker.Check(frames);
            var checkedAt = time.GetTimestamp();
            if (!quality.Accepted)
            {
                _retakes++;
                State = CaptureState.Armed;
                indicator.Show(IndicatorState.Retake);
                var reason = string.Join(", ", quality.Reasons);
                LogRetake(logger, job.JobId, reason, _retakes);
                await ReportAsync(ApplianceState.Retake, job.JobId, reason, cancellationToken);
                return new CaptureOutcome(CaptureOutcomeKind.Retake, Reasons: quality.Reasons);
            }

            var sealedBuffers = new byte[frames.Count + (_overview is null ? 0 : 1)][];
            StoredSeries stored;
            long sealedAt;
            try
            {
                SealedEnvelope envelope;
                (stored, envelope) = packager.Package(job, _retakes, frames, quality, sealedBuffers, _overview);
                sealedAt = time.GetTimestamp();
                await store.AddAsync(stored, envelope, cancellationToken);
            }
            catch (IOException ex)
            {
                // The disk filled up (or failed) under the write; the store has kept nothing half-written.
                State = CaptureState.Armed;
                indicator.Show(IndicatorState.Fault);
                var reason = $"could not store the series: {ex.Message}";
                LogCaptureFault(logger, reason);
                await ReportAsync(ApplianceState.Fault, job.JobId, reason, cancellationToken);
                return new CaptureOutcome(CaptureOutcomeKind.Fault, Reasons: [reason]);
            }
            finally
            {
                foreach (var buffer in sealedBuffers)
                {
                    pool.Return(buffer);
                }
            }

            Disarm();
            indicator.Show(IndicatorState.Accepted);
            var storedAt = time.GetTimestamp();
            var (captureMs, checkMs, sealMs, storeMs) =
                (Milliseconds(started, captured), Milliseconds(captured, checkedAt), Milliseconds(checkedAt, sealedAt), Milliseconds(sealedAt, storedAt));
            LogAccepted(logger, stored.SeriesId, job.JobId, captureMs, checkMs, sealMs, storeMs);
            await ReportAsync(ApplianceState.Accepted, job.JobId, null, cancellationToken, stored.SeriesId);
            uploadSignal.Notify();
            return new CaptureOutcome(CaptureOutcomeKind.Accepted, stored.SeriesId);
        }
        finally
        {
            if (State == CaptureState.Checking)
            {
                State = CaptureState.Armed;
            }
        }
    }

    /// <summary>What the job's series at the configured resolutions takes in the store: the pair and any overview, sealed, and a manifest.</summary>
    private long ExpectedSeriesBytes(CaptureJob job)
    {
        var o = options.Value;
        var overview = job.WantsOverview && overviewStep is not null ? overviewStep.FrameBytes + SeriesSealing.Overhead : 0;
        return (CaptureSequencer.Order.Count * (((long)o.Width * o.Height * 3) + SeriesSealing.Overhead)) + overview + SeriesEnvelope.MaxHeaderBytes;
    }

    private long Milliseconds(long from, long to) => (long)time.GetElapsedTime(from, to).TotalMilliseconds;

    private void Disarm()
    {
        DropOverview();
        _job = null;
        _retakes = 0;
        State = CaptureState.Idle;
        BecameIdle?.Invoke(this, EventArgs.Empty);
    }

    private async Task ReportAsync(ApplianceState state, string? jobId, string? reason, CancellationToken cancellationToken, string? seriesId = null, CaptureStep? step = null)
    {
        var depth = await store.CountAsync(cancellationToken);
        // A job with an overview names its step, so the page can prompt for the next one.
        step ??= _job is { } job && job.JobId == jobId && job.WantsOverview ? (NeedsOverview(job) ? CaptureStep.Overview : CaptureStep.Contact) : null;
        statusFeed.Publish(new ApplianceStatus(identity.DeviceId, state, identity.FirmwareVersion, depth, time.GetUtcNow(), jobId, reason, SeriesId: seriesId, Step: step));
    }

    public void Dispose() => _gate.Dispose();
}
