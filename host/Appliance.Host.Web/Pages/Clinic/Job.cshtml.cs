using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Imaging;
using Appliance.Host.Core.Jobs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Clinic;

/// <summary>One step of the timeline as the page shows it.</summary>
public sealed record JobStep(string At, string State, string Text);

/// <summary>What the page polls: the job's state and timeline, and the filed frames once there are some.</summary>
/// <param name="OverviewToReview">The series' overview waits for staff to say whether it shows an identifying feature.</param>
/// <param name="OverviewReview">What they said, once they have.</param>
public sealed record JobSnapshot(string State, string Headline, IReadOnlyList<JobStep> Steps, string? SeriesId, bool Filed, IReadOnlyList<JobFrame> Frames, string? Withdrawn, bool OverviewToReview = false, string? OverviewReview = null);

/// <summary>A filed frame's index and the ring that lit it, for the thumbnail's caption.</summary>
public sealed record JobFrame(int Index, string Ring);

/// <summary>
/// One capture job, live: sent, armed, retake and why, accepted, filed, with thumbnails once
/// filed, and the place to record a withdrawal of consent. The page polls <c>?handler=State</c>;
/// thumbnails are served uncached and each view is audited.
/// </summary>
public sealed class JobModel(JobTracker tracker, CaptureJobService jobs, ISeriesArchive archive, SeriesRenderer renderer, ConsentWithdrawalService consent, OverviewReviewService overviews, IAuditTrail audit) : PageModel
{
    private const int ThumbnailWidth = 240;

    public JobProgress Progress { get; private set; } = null!;

    public JobSnapshot Snapshot { get; private set; } = null!;

    private string Actor => User.Identity?.Name ?? "unknown";

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } progress)
        {
            return NotFound();
        }

        Progress = progress;
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    public async Task<IActionResult> OnGetStateAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is null)
        {
            return NotFound();
        }

        Response.Headers.CacheControl = "no-store";
        return new JsonResult(Snapshot);
    }

    /// <summary>A small calibrated copy of a filed frame (the original if the profile is not held), so staff see the capture worked.</summary>
    public async Task<IActionResult> OnGetThumbnailAsync(string id, int index, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { IsFiled: true, SeriesId: { } seriesId })
        {
            return NotFound();
        }

        RenderedFrame frame;
        try
        {
            frame = await renderer.RenderAsync(seriesId, index, calibrated: true, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            frame = await renderer.RenderAsync(seriesId, index, calibrated: false, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }

        audit.Append(AuditKinds.ThumbnailViewed, Actor, seriesId, $"frame {index} from the clinic page");
        Response.Headers.CacheControl = "no-store";
        return File(frame.Thumbnail(ThumbnailWidth).ToPng(), "image/png");
    }

    /// <summary>What the last action did (the identify request), for staff.</summary>
    public string? Message { get; private set; }

    /// <summary>Positive identification: the appliance armed for this job lights white and beeps three times.</summary>
    public async Task<IActionResult> OnPostIdentifyAsync(string id, CancellationToken cancellationToken)
    {
        var sent = await jobs.IdentifyAsync(id, Actor, cancellationToken);
        if (await LoadAsync(id, cancellationToken) is not { } progress)
        {
            return NotFound();
        }

        Progress = progress;
        Message = sent
            ? $"Sent to {progress.Job.DeviceId}: if it is armed for this patient it lights white and beeps three times now. If the appliance in front of you does not, do not capture with it."
            : "This job is not waiting for a capture: nothing to identify.";
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    /// <summary>
    /// Staff look at the overview and say whether it shows a face, a tattoo or another identifying
    /// feature (and if it must, why): the series' risk level, and whether teaching may use it.
    /// </summary>
    public async Task<IActionResult> OnPostReviewOverviewAsync(string id, bool? identifying, string? reason, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { SeriesId: { } seriesId, IsFiled: true } progress)
        {
            return NotFound();
        }

        try
        {
            Message = identifying is null
                ? "Say whether the overview shows an identifying feature."
                : (await overviews.ReviewAsync(seriesId, identifying.Value, reason, Actor, cancellationToken)).Describe();
        }
        catch (OverviewReviewRefusedException ex)
        {
            Message = ex.Message;
        }

        await LoadAsync(id, cancellationToken);
        Progress = progress;
        return Page();
    }

    public async Task<IActionResult> OnPostWithdrawAsync(string id, string? note, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { SeriesId: { } seriesId, IsFiled: true })
        {
            return NotFound();
        }

        await consent.WithdrawAsync(seriesId, Actor, note, cancellationToken);
        return RedirectToPage("/Clinic/Job", new { id });
    }

    private async Task<JobProgress?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        var progress = await tracker.FindAsync(id, cancellationToken);
        if (progress is null)
        {
            return null;
        }

        var series = progress is { IsFiled: true, SeriesId: { } seriesId } ? await archive.FindAsync(seriesId, cancellationToken) : null;
        Snapshot = new JobSnapshot(
            progress.State,
            Headline(progress),
            [.. progress.Events.Select(e => new JobStep(e.At.ToLocalTime().ToString("HH:mm:ss"), e.State, Describe(e)))],
            progress.SeriesId,
            series is not null,
            series is null ? [] : [.. series.Frames.Select(f => new JobFrame(f.Index, f.IsOverview ? "overview" : f.Lighting == Protocol.LightingMode.CrossPolarised ? "cross-polarised" : "non-polarised"))],
            series?.ConsentWithdrawn is { } w ? $"Consent withdrawn {w.WithdrawnAt.ToLocalTime():dd MMM yyyy HH:mm}, recorded by {w.RecordedBy}" : null,
            series?.Overview is not null && series.OverviewReview is null,
            series?.OverviewReview is { } review ? $"Overview: {review.Describe()}" : null);
        return progress;
    }

    private static string Headline(JobProgress progress) => progress.State switch
    {
        JobStates.Sent => "Sent: waiting for the appliance to arm",
        JobStates.Armed when progress.Events[^1].Step == Protocol.CaptureStep.Overview =>
            "Armed: first the overview. Hold the head 20–40 cm from the skin, pointed at the lesion, with a landmark (a joint, a crease) in view, no face or tattoo, and press capture",
        JobStates.Armed when progress.Events[^1].Step == Protocol.CaptureStep.Contact && progress.Events[^1].Detail is null => "Overview taken: now place the head on the lesion and press capture",
        JobStates.Armed when progress.Events[^1].Detail is { } warning => $"Armed, with a warning ({warning}): place the head on the skin and press capture",
        JobStates.Armed => "Armed: place the head on the skin and press capture",
        JobStates.Capturing => "Capturing: hold still",
        JobStates.Retake when progress.Events[^1].Step == Protocol.CaptureStep.Overview => $"Retake the overview ({progress.Events[^1].Detail}): hold the head 20–40 cm away and press capture again",
        JobStates.Retake => $"Retake ({progress.Events[^1].Detail}): press capture again",
        JobStates.Accepted => "Accepted: sending to the host",
        JobStates.Filed => "Filed",
        JobStates.ConsentWithdrawn => "Filed; consent withdrawn",
        JobStates.Refused => $"Refused by the appliance: {progress.Events[^1].Detail}",
        JobStates.Fault => $"Appliance fault: {progress.Events[^1].Detail}",
        JobStates.Expired => "Expired before capture: create the job again",
        JobStates.Cancelled => "Cancelled on the appliance",
        _ => "Created: not yet sent",
    };

    private static string Describe(JobEvent e) => e.State switch
    {
        JobStates.Retake or JobStates.Refused or JobStates.Fault => $"{e.State}: {e.Detail}",
        JobStates.Armed when e.Step == Protocol.CaptureStep.Overview => e.Detail is null ? "armed: overview first" : $"armed: overview first ({e.Detail})",
        JobStates.Armed when e.Step == Protocol.CaptureStep.Contact => e.Detail is null ? "overview taken: armed for the head on the lesion" : $"armed ({e.Detail})",
        JobStates.Armed when e.Detail is not null => $"armed ({e.Detail})",
        JobStates.ConsentWithdrawn => $"consent withdrawn, {e.Detail}",
        JobStates.Identified => "the appliance showed itself (white light, three beeps)",
        _ => e.State,
    };
}
