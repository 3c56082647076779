using Appliance.Calibration;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// A calibration run from the host, as a stage of the capture state machine: it holds the run
/// waiting for its cards, captures a card on each press, fits, signs and keeps the profile, and
/// reports every step (the run's id rides as the order id). <see cref="CaptureCoordinator"/>
/// decides when a run may start and serialises it with captures; it is calibrating while
/// <see cref="Active"/>.
/// </summary>
public sealed partial class CalibrationSession(
    CaptureSequencer sequencer,
    ISeriesStore store,
    ICalibrationStore calibration,
    IOptions<CalibrationOptions> options,
    IStatusIndicator indicator,
    ApplianceIdentity identity,
    StatusFeed statusFeed,
    TimeProvider time,
    ILogger<CalibrationSession> logger) : IDisposable
{
    private CalibrationRun? _run;

    /// <summary>A run is waiting for a card and a press.</summary>
    public bool Active => _run is not null;

    /// <summary>Tells the host a run will not start, and why.</summary>
    public async Task RefuseAsync(CalibrationRequest request, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        LogCalibrationRefused(logger, request.RunId, reason);
        await ReportAsync(ApplianceState.CalibrationRefused, request.RunId, reason, cancellationToken);
    }

    /// <summary>Starts a run (replacing one waiting for its cards) and asks for the white card.</summary>
    public async Task BeginAsync(CalibrationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        End();
        _run = new CalibrationRun(request);
        indicator.Show(IndicatorState.Calibrating);
        LogCalibrationStarted(logger, request.RunId);
        await ReportAsync(ApplianceState.Calibrating, request.RunId, _run.Prompt, cancellationToken);
    }

    /// <summary>Staff held the button: the run ends and the old profile stays.</summary>
    public async Task<bool> CancelAsync(CancellationToken cancellationToken)
    {
        if (_run is not { } run)
        {
            return false;
        }

        End();
        indicator.Show(IndicatorState.Idle);
        await ReportAsync(ApplianceState.CalibrationCancelled, run.Request.RunId, "cancelled on the appliance", cancellationToken);
        return true;
    }

    /// <summary>A press: captures the card the run waits for; after the target, fits and keeps the profile, and the run ends.</summary>
    public async Task<CaptureOutcome> PressAsync(CancellationToken cancellationToken)
    {
        if (_run is not { } run)
        {
            return CaptureOutcome.Ignored;
        }

        var runId = run.Request.RunId;
        if (run.Request.ExpiresAt <= time.GetUtcNow())
        {
            End();
            indicator.Show(IndicatorState.Idle);
            await ReportAsync(ApplianceState.CalibrationFailed, runId, "the run expired before the cards were captured", cancellationToken);
            return CaptureOutcome.Ignored;
        }

        indicator.Show(IndicatorState.Busy);
        CapturedSeries series;
        try
        {
            series = await sequencer.CaptureSeriesAsync(cancellationToken);
        }
        catch (CaptureFaultException ex)
        {
            indicator.Show(IndicatorState.Fault);
            LogCaptureFault(logger, ex.Message);
            await ReportAsync(ApplianceState.Calibrating, runId, $"camera fault ({ex.Message}); {run.Prompt}", cancellationToken);
            return new CaptureOutcome(CaptureOutcomeKind.Fault, Reasons: [ex.Message]);
        }

        using (series)
        {
            var frames = series.Frames;
            if (run.Step == CalibrationStep.WhiteCard)
            {
                var unusable = run.TakeWhite(frames);
                indicator.Show(unusable is null ? IndicatorState.Calibrating : IndicatorState.Retake);
                // The person at the appliance (or its terminal, simulated) sees the next step as the host's page does.
                LogNextStep(logger, runId, unusable is null ? run.Prompt : $"retake: {unusable}; {run.Prompt}");
                await ReportAsync(ApplianceState.Calibrating, runId, unusable is null ? run.Prompt : $"retake: {unusable}; {run.Prompt}", cancellationToken);
                return unusable is null ? new CaptureOutcome(CaptureOutcomeKind.Accepted) : new CaptureOutcome(CaptureOutcomeKind.Retake, Reasons: [unusable]);
            }

            var (profile, refusal) = run.Finish(frames, LoadTargetSheet(), options.Value, identity, time.GetUtcNow());
            End();
            if (profile is null)
            {
                indicator.Show(IndicatorState.Fault);
                LogCalibrationRefused(logger, runId, refusal!);
                await ReportAsync(ApplianceState.CalibrationFailed, runId, refusal, cancellationToken);
                return new CaptureOutcome(CaptureOutcomeKind.Fault, Reasons: [refusal!]);
            }

            calibration.Save(profile);
            indicator.Show(IndicatorState.Accepted);
            var (meanDeltaE, worstDeltaE) = (profile.Rings.Max(r => r.DeltaEMeanAfter), profile.Rings.Max(r => r.DeltaEMaxAfter));
            LogCalibrated(logger, profile.ProfileId, meanDeltaE, worstDeltaE);
            await ReportAsync(ApplianceState.Calibrated, runId, null, cancellationToken, profile.ProfileId);
            return new CaptureOutcome(CaptureOutcomeKind.Accepted);
        }
    }

    /// <summary>Ends any run without a profile (its white card frames are cleared).</summary>
    public void End()
    {
        _run?.Dispose();
        _run = null;
    }

    public void Dispose() => End();

    private TargetSheet LoadTargetSheet() =>
        string.IsNullOrWhiteSpace(options.Value.TargetSheet) ? TargetSheet.Default() : TargetSheet.Load(options.Value.TargetSheet);

    /// <summary>A run's status, naming the run (and the profile it made), with the current profile's age and ΔE.</summary>
    private async Task ReportAsync(ApplianceState state, string runId, string? reason, CancellationToken cancellationToken, string? profileId = null)
    {
        var depth = await store.CountAsync(cancellationToken);
        var current = calibration.Current;
        statusFeed.Publish(new ApplianceStatus(
            identity.DeviceId, state, identity.FirmwareVersion, depth, time.GetUtcNow(), Reason: reason,
            CalibratedAt: current?.CreatedAt, CalibrationDeltaE: current?.Rings.Max(r => r.DeltaEMeanAfter),
            CalibrationRunId: runId, ProfileId: profileId));
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Calibration run {RunId} started: waiting for the white card")]
    private static partial void LogCalibrationStarted(ILogger logger, string runId);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Information, Message = "Calibration run {RunId}: {Prompt}")]
    private static partial void LogNextStep(ILogger logger, string runId, string prompt);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Calibration run {RunId} refused: {Reason}")]
    private static partial void LogCalibrationRefused(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Information, Message = "Calibrated: profile {ProfileId}, held-out ΔE00 {MeanDeltaE:F2} mean, {WorstDeltaE:F2} worst")]
    private static partial void LogCalibrated(ILogger logger, string profileId, double meanDeltaE, double worstDeltaE);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Error, Message = "Camera fault during a calibration run: {Reason}")]
    private static partial void LogCaptureFault(ILogger logger, string reason);
}
