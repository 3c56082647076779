using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Core;

// The overview step of a job: taken on the first press, held in memory (never stored alone) until
// the dermoscopic pair is accepted and sealed with it, dropped when the job ends any other way.
public sealed partial class CaptureCoordinator
{
    private HeldOverview? _overview;

    /// <summary>The step the armed job waits for; null when nothing is armed.</summary>
    public CaptureStep? Step => State == CaptureState.Armed && _job is { } job ? (NeedsOverview(job) ? CaptureStep.Overview : CaptureStep.Contact) : null;

    private bool NeedsOverview(CaptureJob job) => job.WantsOverview && overviewStep is not null && _overview is null;

    private string? OverviewWarning(CaptureJob job) =>
        job.WantsOverview && overviewStep is null ? "this appliance has no overview camera: the series will be the dermoscopic pair only" : null;

    private async Task<CaptureOutcome> CaptureOverviewAsync(CaptureJob job, CancellationToken cancellationToken)
    {
        State = CaptureState.Capturing;
        indicator.Show(IndicatorState.Busy);
        await ReportAsync(ApplianceState.Capturing, job.JobId, null, cancellationToken, step: CaptureStep.Overview);
        HeldOverview? held;
        QualityReport report;
        try
        {
            (held, report) = await overviewStep!.TakeAsync(cancellationToken);
        }
        catch (CaptureFaultException ex)
        {
            State = CaptureState.Armed;
            indicator.Show(IndicatorState.Fault);
            LogCaptureFault(logger, ex.Message);
            await ReportAsync(ApplianceState.Fault, job.JobId, ex.Message, cancellationToken, step: CaptureStep.Overview);
            return new CaptureOutcome(CaptureOutcomeKind.Fault, Reasons: [ex.Message]);
        }
        finally
        {
            if (State == CaptureState.Capturing)
            {
                State = CaptureState.Armed; // cancelled: still armed for the overview
            }
        }

        State = CaptureState.Armed;
        if (held is null)
        {
            _retakes++;
            indicator.Show(IndicatorState.Retake);
            var reason = "overview: " + string.Join(", ", report.Reasons);
            LogRetake(logger, job.JobId, reason, _retakes);
            await ReportAsync(ApplianceState.Retake, job.JobId, reason, cancellationToken, step: CaptureStep.Overview);
            return new CaptureOutcome(CaptureOutcomeKind.Retake, Reasons: report.Reasons);
        }

        _overview = held;
        // A beep, and the blinking blue goes steady: that step is done; now the head on the lesion.
        indicator.Show(IndicatorState.OverviewTaken);
        LogOverviewTaken(logger, job.JobId);
        await ReportAsync(ApplianceState.Armed, job.JobId, null, cancellationToken, step: CaptureStep.Contact);
        return new CaptureOutcome(CaptureOutcomeKind.OverviewTaken);
    }

    private void DropOverview()
    {
        _overview?.Dispose();
        _overview = null;
    }

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Overview taken for job {JobId}: waiting for the head on the lesion")]
    private static partial void LogOverviewTaken(ILogger logger, string jobId);
}
