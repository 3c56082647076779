using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Clinic;

/// <summary>Whether a job asks for an overview before the dermoscopic pair.</summary>
public enum OverviewChoice
{
    /// <summary>Yes for a lesion's first series (nothing filed yet under its label, or no label), no on a repeat visit.</summary>
    FirstSeries,
    Yes,
    No,
}

/// <summary>What the clinic form posts.</summary>
public sealed class NewJobInput
{
    public string DeviceId { get; set; } = string.Empty;

    public string PatientId { get; set; } = string.Empty;

    public DateOnly? DateOfBirth { get; set; }

    public string? Side { get; set; }

    public string Region { get; set; } = string.Empty;

    public string? LesionLabel { get; set; }

    /// <summary>The body map mark, if staff placed one: all three or none.</summary>
    public BodyView? MapView { get; set; }

    public double? MapX { get; set; }

    public double? MapY { get; set; }

    public BodyMapMark? Mark => MapView is { } view && MapX is { } x && MapY is { } y ? new BodyMapMark(view, x, y) : null;

    // Nullable, with no default: a consent nobody chose must not be recorded as if someone had.
    public ConsentGiver? GivenBy { get; set; }

    public ConsentForm? Form { get; set; }

    public ConsentScope? Scope { get; set; }

    /// <summary>Must be ticked for a site the record shows as intimate.</summary>
    public bool IntimateSiteConfirmed { get; set; }

    /// <summary>Nothing is created unless staff say consent was taken.</summary>
    public bool ConsentTaken { get; set; }

    public OverviewChoice Overview { get; set; }
}

/// <summary>
/// The clinic page: the patients to recall because an appliance was wiped before their accepted
/// series was filed, first; then create a capture job (appliance, patient, body site from lists,
/// lesion label, consent) and see today's jobs. The job's own page then follows it live.
/// </summary>
public sealed class IndexModel(CaptureJobService jobs, JobTracker tracker, LostSeriesRecall recall, FleetView fleet, Appliance.Host.Core.ISeriesArchive archive) : PageModel
{
    [BindProperty]
    public NewJobInput Input { get; set; } = new();

    public IReadOnlyList<FleetEntry> Appliances { get; private set; } = [];

    public IReadOnlyList<JobProgress> Recent { get; private set; } = [];

    /// <summary>Jobs whose accepted series a wipe destroyed before it was filed, waiting for staff to arrange the patient's recall.</summary>
    public IReadOnlyList<JobProgress> ToRecall { get; private set; } = [];

    /// <summary>Jobs whose accepted series the host has not filed in time: the images are still on the appliance.</summary>
    public IReadOnlyList<JobProgress> Overdue { get; private set; } = [];

    /// <summary>
    /// Filed series among the most recent <see cref="OverviewReviewWindow"/> whose overview staff
    /// have not yet reviewed for identifying features: until they do it counts as high risk.
    /// </summary>
    public IReadOnlyList<Appliance.Host.Core.FiledSeries> OverviewsToReview { get; private set; } = [];

    public const int OverviewReviewWindow = 200;

    public string? Message { get; private set; }

    public string? Error { get; private set; }

    // Nothing of the consent is chosen in advance: staff record what was said, not what the form assumed.
    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Error = UnreadableField() ?? Check(Input);
        // The form is shown again from the values understood, never from text that did not parse
        // (a checkbox given "maybe" cannot be drawn).
        ModelState.Clear();
        if (Error is null)
        {
            var request = new CaptureJobRequest(
                Input.DeviceId,
                Input.PatientId,
                BodySiteChoices.Compose(Input.Side, Input.Region),
                new ConsentRecord(Input.GivenBy!.Value, Input.Form!.Value, Input.Scope!.Value),
                Input.LesionLabel,
                Input.DateOfBirth,
                Input.IntimateSiteConfirmed,
                Input.Mark,
                await WantsOverviewAsync(Input, cancellationToken));
            try
            {
                var job = await jobs.CreateAsync(request, User.Identity?.Name ?? "unknown", cancellationToken);
                return RedirectToPage("/Clinic/Job", new { id = job.JobId });
            }
            catch (CaptureJobRefusedException ex)
            {
                Error = ex.Message;
            }
            catch (ArgumentException ex)
            {
                Error = ex.Message;
            }
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    /// <summary>The default: an overview for a lesion's first series, so a dermatologist sees where it is; a repeat visit's first series showed it.</summary>
    private async Task<bool> WantsOverviewAsync(NewJobInput input, CancellationToken cancellationToken) => input.Overview switch
    {
        OverviewChoice.Yes => true,
        OverviewChoice.No => false,
        _ => string.IsNullOrWhiteSpace(input.LesionLabel)
            || (await archive.ListForPatientAsync(input.PatientId.Trim(), input.LesionLabel.Trim(), cancellationToken)).Count == 0,
    };

    public async Task<IActionResult> OnPostArrangeRecallAsync(string jobId, CancellationToken cancellationToken)
    {
        ModelState.Clear();
        if (await recall.ArrangeRecallAsync(jobId, User.Identity?.Name ?? "unknown", cancellationToken))
        {
            Message = "Recall recorded as arranged.";
        }
        else
        {
            Error = "that job is not waiting for a recall";
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    /// <summary>The first field whose posted text is not a value the form offers, said for staff.</summary>
    private string? UnreadableField()
    {
        foreach (var (key, entry) in ModelState)
        {
            if (entry.Errors.Count == 0)
            {
                continue;
            }

            return key switch
            {
                "Input.ConsentTaken" => "tick whether consent was taken",
                "Input.IntimateSiteConfirmed" => "tick whether the intimate site was confirmed",
                "Input.GivenBy" => "choose who gave consent from the list",
                "Input.Form" => "choose how consent was given from the list",
                "Input.Scope" => "choose the consent's scope from the list",
                "Input.DateOfBirth" => "enter the date of birth as a date",
                "Input.MapView" or "Input.MapX" or "Input.MapY" => "place the mark on the body map again: it could not be read",
                _ => $"the form's {key.Replace("Input.", string.Empty, StringComparison.Ordinal)} could not be read",
            };
        }

        return null;
    }

    private string? Check(NewJobInput input) =>
        !SelectableDevices().Contains(input.DeviceId, StringComparer.Ordinal) ? "choose an appliance"
        : string.IsNullOrWhiteSpace(input.PatientId) ? "enter the patient identifier"
        : input.PatientId.Trim().Length > CaptureJobService.MaxPatientIdLength ? $"the patient identifier is longer than {CaptureJobService.MaxPatientIdLength} characters"
        : !BodySiteChoices.IsOffered(input.Side, input.Region) ? "choose the body site from the lists"
        : input.GivenBy is not { } giver || !Enum.IsDefined(giver) ? "choose who gave consent from the list"
        : input.Form is not { } form || !Enum.IsDefined(form) ? "choose how consent was given from the list"
        : input.Scope is not { } scope || !Enum.IsDefined(scope) ? "choose the consent's scope from the list"
        : !input.ConsentTaken ? "record consent before capture: tick that consent was taken"
        : input.LesionLabel is { Length: > 64 } ? "the lesion label is longer than 64 characters"
        : MarkProblem(input) is { } problem ? $"place the mark on the body map again: {problem}"
        : null;

    /// <summary>A mark is optional, but one sent must be whole and on the diagram.</summary>
    private static string? MarkProblem(NewJobInput input) =>
        (input.MapView, input.MapX, input.MapY) is (null, null, null) ? null : input.Mark is { } mark ? mark.Problem() : "it was incomplete";

    private IEnumerable<string> SelectableDevices() => fleet.List().Where(e => !e.Revoked).Select(e => e.DeviceId);

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Appliances = [.. fleet.List().Where(e => !e.Revoked).OrderByDescending(e => e.Online).ThenBy(e => e.DeviceId, StringComparer.Ordinal)];
        Recent = await tracker.ListRecentAsync(20, cancellationToken);
        ToRecall = await recall.ListToRecallAsync(null, cancellationToken);
        Overdue = await tracker.ListStandingAtAsync(JobStates.FilingOverdue, null, cancellationToken);
        OverviewsToReview = [.. (await archive.ListRecentAsync(OverviewReviewWindow, cancellationToken)).Where(s => s.Overview is not null && s.OverviewReview is null)];
    }
}
