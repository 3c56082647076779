using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Clinic;

/// <summary>What the clinic form posts.</summary>
public sealed class NewJobInput
{
    public string DeviceId { get; set; } = string.Empty;

    public string PatientId { get; set; } = string.Empty;

    public DateOnly? DateOfBirth { get; set; }

    public string? Side { get; set; }

    public string Region { get; set; } = string.Empty;

    public string? LesionLabel { get; set; }

    public ConsentGiver GivenBy { get; set; } = ConsentGiver.Patient;

    public ConsentForm Form { get; set; } = ConsentForm.Verbal;

    public ConsentScope Scope { get; set; } = ConsentScope.DirectCare;

    /// <summary>Must be ticked for a site the record shows as intimate.</summary>
    public bool IntimateSiteConfirmed { get; set; }

    /// <summary>Nothing is created unless staff say consent was taken.</summary>
    public bool ConsentTaken { get; set; }
}

/// <summary>
/// The clinic page: create a capture job (appliance, patient, body site from lists, lesion label,
/// consent) and see today's jobs. The job's own page then follows it live.
/// </summary>
public sealed class IndexModel(CaptureJobService jobs, JobTracker tracker, FleetView fleet) : PageModel
{
    [BindProperty]
    public NewJobInput Input { get; set; } = new();

    public IReadOnlyList<FleetEntry> Appliances { get; private set; } = [];

    public IReadOnlyList<JobProgress> Recent { get; private set; } = [];

    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Error = Check(Input);
        if (Error is null)
        {
            var request = new CaptureJobRequest(
                Input.DeviceId,
                Input.PatientId,
                BodySiteChoices.Compose(Input.Side, Input.Region),
                new ConsentRecord(Input.GivenBy, Input.Form, Input.Scope),
                Input.LesionLabel,
                Input.DateOfBirth,
                Input.IntimateSiteConfirmed);
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

    private string? Check(NewJobInput input) =>
        !SelectableDevices().Contains(input.DeviceId, StringComparer.Ordinal) ? "choose an appliance"
        : string.IsNullOrWhiteSpace(input.PatientId) ? "enter the patient identifier"
        : !BodySiteChoices.IsOffered(input.Side, input.Region) ? "choose the body site from the lists"
        : !input.ConsentTaken ? "record consent before capture: tick that consent was taken"
        : input.LesionLabel is { Length: > 64 } ? "the lesion label is longer than 64 characters"
        : null;

    private IEnumerable<string> SelectableDevices() => fleet.List().Where(e => !e.Revoked).Select(e => e.DeviceId);

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Appliances = [.. fleet.List().Where(e => !e.Revoked).OrderByDescending(e => e.Online).ThenBy(e => e.DeviceId, StringComparer.Ordinal)];
        Recent = await tracker.ListRecentAsync(20, cancellationToken);
    }
}
