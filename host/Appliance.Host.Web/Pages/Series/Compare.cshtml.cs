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
public sealed class CompareModel(LesionFollowUp followUp, Core.ISeriesArchive archive, IAuditTrail audit) : PageModel
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
        if (which is not ("first" or "second" or "registered"))
        {
            return NotFound();
        }

        LesionVisit visit;
        byte[] rgb;
        RenderedFrame size;
        try
        {
            if (which == "registered")
            {
                var comparison = await followUp.CompareAsync(first, second, cancellationToken);
                (visit, rgb, size) = (comparison.Second, comparison.RegisteredSecond, comparison.First.Frame!);
            }
            else
            {
                // One visit's own frame needs no registration: only its measurement, for the outline.
                var id = which == "first" ? first : second;
                var series = await archive.FindAsync(id, cancellationToken) ?? throw new KeyNotFoundException($"series {id} is not filed");
                visit = await followUp.MeasureAsync(series, cancellationToken);
                size = visit.Frame ?? throw new InvalidOperationException(visit.NotMeasured);
                rgb = visit.Measure is { } m ? m.DrawOutline(size.Rgb24) : size.Rgb24;
            }
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return new ConflictObjectResult(ex.Message);
        }

        audit.Append(AuditKinds.FrameViewed, Actor, visit.Series.SeriesId, $"compare {which}");
        Response.Headers.CacheControl = "no-store";
        return File(PngEncoder.Encode(rgb, size.Width, size.Height), "image/png");
    }

    /// <summary>The frame's width on the skin, in millimetres, for showing both at one scale.</summary>
    public static double WidthMm(LesionVisit visit) => visit.Frame!.Width / visit.Frame.PixelsPerMillimetre!.Value;
}
