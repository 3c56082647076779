using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Screen;

public enum ScreenTone
{
    Neutral,
    Good,
    Warning,
    Bad,
}

/// <summary>Which camera the preview shows: the overview camera for the overview step, the dermoscopic one (cross-polarised ring lit) for the contact step.</summary>
public enum PreviewCamera
{
    Dermoscopic,
    Overview,
}

/// <summary>
/// What the screen shows. <see cref="Lit"/> false: dark, backlight off. Otherwise the preview
/// (when <see cref="Preview"/> is set), the job's code, the prompt, the verdict and the state line.
/// <see cref="HoldUntilDark"/>: a verdict that stays a while, then the screen goes dark.
/// </summary>
public sealed record ScreenContent(
    bool Lit,
    PreviewCamera? Preview = null,
    string? JobCode = null,
    bool Identifying = false,
    string? Prompt = null,
    string? Verdict = null,
    ScreenTone VerdictTone = ScreenTone.Neutral,
    string? Alert = null,
    bool HoldUntilDark = false,
    CaptureStep? Step = null)
{
    public static readonly ScreenContent Dark = new(Lit: false);
}

/// <summary>
/// From the appliance's statuses to what its screen shows: the preview and the job's code while
/// armed, a prompt for each step, the verdict, and the state. Dark when idle; on a failed
/// integrity check or a wipe, nothing of a job stays on it (only the alert).
/// </summary>
public static class ScreenModel
{
    public const string OverviewPrompt = "Overview: hold the head 20-40 cm away, the lesion in the circle, and press";
    public const string ContactPrompt = "Place the head on the lesion and press";

    public static ScreenContent Next(ScreenContent current, ApplianceStatus status)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(status);
        var code = status.JobId is { } jobId && CaptureJob.IsValidJobId(jobId) ? JobCodes.For(jobId) : current.JobCode;
        return status.State switch
        {
            ApplianceState.Armed => Armed(current, status, code),
            ApplianceState.Identifying => current with { Lit = true, JobCode = code, Identifying = true, Verdict = "This appliance", VerdictTone = ScreenTone.Good, HoldUntilDark = false },
            ApplianceState.Capturing => current with { Lit = true, Preview = null, JobCode = code, Identifying = false, Prompt = "Hold still", Verdict = null, HoldUntilDark = false },
            ApplianceState.Retake => current with
            {
                Lit = true, Preview = Camera(status.Step), JobCode = code, Identifying = false, Step = status.Step,
                Prompt = (status.Step == CaptureStep.Overview ? OverviewPrompt : ContactPrompt) + " again",
                Verdict = "Retake: " + (status.Reason ?? "check the frame"), VerdictTone = ScreenTone.Warning, HoldUntilDark = false,
            },
            ApplianceState.Accepted => Ended(code, "Accepted", ScreenTone.Good, "Sealed; it goes to the host"),
            ApplianceState.Cancelled => Ended(code, "Cancelled", ScreenTone.Neutral, null),
            ApplianceState.Refused => Ended(code, "Refused: " + status.Reason, ScreenTone.Bad, null),
            // A capture that failed leaves the job armed: staff may press again.
            ApplianceState.Fault when status.JobId is not null && current.JobCode == code => current with
            {
                Lit = true, Preview = Camera(status.Step), Identifying = false, Step = status.Step,
                Prompt = "Press capture to try again; if it fails again, tell the IT team",
                Verdict = "Fault: " + status.Reason, VerdictTone = ScreenTone.Bad, HoldUntilDark = false,
            },
            ApplianceState.Fault => Ended(code, "Fault: " + status.Reason, ScreenTone.Bad, "Tell the IT team"),
            ApplianceState.Calibrating => new ScreenContent(Lit: true, Preview: PreviewCamera.Dermoscopic, Prompt: "Calibration: " + (status.Reason ?? "place the card under the head and press")),
            ApplianceState.Calibrated => Ended(null, "Calibrated", ScreenTone.Good, null),
            ApplianceState.CalibrationFailed or ApplianceState.CalibrationRefused => Ended(null, "Calibration failed: " + status.Reason, ScreenTone.Bad, null),
            ApplianceState.CalibrationCancelled => Ended(null, "Calibration cancelled", ScreenTone.Neutral, null),
            ApplianceState.Unsafe => new ScreenContent(Lit: true, Alert: "UNSAFE: do not use"),
            ApplianceState.Wiping => new ScreenContent(Lit: true, Alert: "WIPING"),
            // Online after an unsafe spell: the alert goes; anything else stands.
            ApplianceState.Online => current.Alert is not null ? ScreenContent.Dark : current,
            ApplianceState.Idle => current.HoldUntilDark ? current : ScreenContent.Dark,
            _ => current,
        };
    }

    private static ScreenContent Armed(ScreenContent current, ApplianceStatus status, string? code)
    {
        // No step: a job without an overview, whose only step is the contact one.
        var step = status.Step ?? CaptureStep.Contact;
        // Armed for the contact step straight after the overview step: the overview was taken.
        var overviewTaken = status.Step == CaptureStep.Contact && current.Step == CaptureStep.Overview && current.JobCode == code;
        return new ScreenContent(
            Lit: true,
            Preview: Camera(step),
            JobCode: code,
            Prompt: step == CaptureStep.Overview ? OverviewPrompt : ContactPrompt,
            Verdict: overviewTaken ? "Overview taken" : status.Reason,
            VerdictTone: overviewTaken ? ScreenTone.Good : ScreenTone.Warning,
            Step: status.Step);
    }

    private static PreviewCamera Camera(CaptureStep? step) => step == CaptureStep.Overview ? PreviewCamera.Overview : PreviewCamera.Dermoscopic;

    private static ScreenContent Ended(string? code, string verdict, ScreenTone tone, string? prompt) =>
        new(Lit: true, JobCode: code, Verdict: verdict, VerdictTone: tone, Prompt: prompt, HoldUntilDark: true);
}
