using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Series;

/// <summary>The dermatologist's worklist: filed series, newest first, filtered by patient, body site, appliance or date. Every view is audited.</summary>
public sealed class IndexModel(ISeriesArchive archive, IAuditTrail audit) : PageModel
{
    private const int Window = 500;

    [BindProperty(SupportsGet = true)]
    public string? Patient { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Site { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Device { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? To { get; set; }

    public IReadOnlyList<FiledSeries> Series { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var recent = await archive.ListRecentAsync(Window, cancellationToken);
        Series = [.. recent.Where(s =>
            (string.IsNullOrWhiteSpace(Patient) || s.PatientId.Contains(Patient.Trim(), StringComparison.OrdinalIgnoreCase))
            && (string.IsNullOrWhiteSpace(Site) || s.BodySite.Contains(Site.Trim(), StringComparison.OrdinalIgnoreCase))
            && (string.IsNullOrWhiteSpace(Device) || s.DeviceId.Contains(Device.Trim(), StringComparison.OrdinalIgnoreCase))
            && (From is null || DateOnly.FromDateTime(s.CapturedAt.UtcDateTime) >= From)
            && (To is null || DateOnly.FromDateTime(s.CapturedAt.UtcDateTime) <= To))];
        // The filter may itself identify a patient: the trail records that a search was made and how many it found, by whom.
        audit.Append(AuditKinds.WorklistViewed, User.Identity?.Name ?? "unknown", "worklist", $"{Series.Count} series{(string.IsNullOrWhiteSpace(Patient) ? string.Empty : ", filtered by patient")}");
    }
}
