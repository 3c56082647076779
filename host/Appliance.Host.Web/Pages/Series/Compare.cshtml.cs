using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Imaging;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Series;

/// <summary>
/// Two visits of one lesion for the dermatologist: side by side at the same millimetre scale with
/// the outline measured on each, the second laid on the first (registered on the skin around the
/// lesion) under a blend or swipe control, the change in area, diameter and colour, and every
/// reason the comparison may mislead. The page and every image served are audited.
/// </summary>
public sealed class CompareModel(LesionFollowUp followUp, IAuditTrail audit) : PageModel
{
    public LesionComparison Comparison { get; private set; } = null!;

    public string? Refusal { get; private set; }

    private string Actor => User.Identity?.Name ?? "unknown";

    public async Task<IActionResult> OnGetAsync(string first, string second, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        try
        {
            Comparison = await followUp.CompareAsync(first, second, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            Refusal = ex.Message;
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }

        audit.Append(AuditKinds.SeriesViewed, Actor, first, $"compared with {second}");
        audit.Append(AuditKinds.SeriesViewed, Actor, second, $"compared with {first}");
        return Page();
    }

    /// <summary>
    /// One image of the comparison as PNG: a visit's calibrated cross-polarised frame at the working
    /// size with the measured outline drawn (<paramref name="which"/> first or second), or the second
    /// laid on the first (registered).
    /// </summary>
    public async Task<IActionResult> OnGetImageAsync(string first, string second, string which, CancellationToken cancellationToken)
    {
        LesionComparison comparison;
        try
        {
            comparison = await followUp.CompareAsync(first, second, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return new ConflictObjectResult(ex.Message);
        }

        var (visit, rgb) = which switch
        {
            "first" => (comparison.First, Outlined(comparison.First)),
            "second" => (comparison.Second, Outlined(comparison.Second)),
            "registered" => (comparison.Second, comparison.RegisteredSecond),
            _ => (null, null),
        };
        if (visit is null || rgb is null)
        {
            return NotFound();
        }

        var size = which == "registered" ? comparison.First.Frame! : visit.Frame!;
        audit.Append(AuditKinds.FrameViewed, Actor, visit.Series.SeriesId, $"compare {which}");
        Response.Headers.CacheControl = "no-store";
        return File(PngEncoder.Encode(rgb, size.Width, size.Height), "image/png");
    }

    private static byte[] Outlined(LesionVisit visit) => visit.Measure is { } m ? m.DrawOutline(visit.Frame!.Rgb24) : visit.Frame!.Rgb24;

    /// <summary>The frame's width on the skin, in millimetres, for showing both at one scale.</summary>
    public static double WidthMm(LesionVisit visit) => visit.Frame!.Width / visit.Frame.PixelsPerMillimetre!.Value;
}
