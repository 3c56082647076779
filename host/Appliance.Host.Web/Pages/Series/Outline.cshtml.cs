using System.Globalization;
using Appliance.Host.Core.Imaging;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Series;

/// <summary>
/// Where the series page's outline editor posts: the dermatologist's corrected outline (its
/// corners as "x,y x,y …" in fractions of the frame) is kept with the series and every
/// measurement follows it; or the series goes back to the outline found. An outline that cannot
/// be read or does not lie on the frame is refused here with the reason, and nothing changes.
/// </summary>
public sealed class OutlineModel(LesionFollowUp followUp, TimeProvider time) : PageModel
{
    public string? Refusal { get; private set; }

    public string SeriesId { get; private set; } = string.Empty;

    public IActionResult OnGet(string id) => RedirectToPage("/Series/View", new { id });

    public async Task<IActionResult> OnPostAsync(string id, string? corners, bool reset, CancellationToken cancellationToken)
    {
        SeriesId = id;
        var actor = User.Identity?.Name ?? "unknown";
        LesionOutline? outline = null;
        if (!reset)
        {
            if (Parse(corners) is not { } points)
            {
                return Refused("the outline could not be read: draw it again");
            }

            outline = new LesionOutline(points.X, points.Y, actor, time.GetUtcNow());
        }

        try
        {
            await followUp.CorrectOutlineAsync(id, outline, actor, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }
        catch (ArgumentException ex)
        {
            return Refused(ex.Message);
        }

        return Redirect($"/Series/View/{Uri.EscapeDataString(id)}#outline");
    }

    private PageResult Refused(string reason)
    {
        Refusal = reason;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private static (double[] X, double[] Y)? Parse(string? corners)
    {
        if (string.IsNullOrWhiteSpace(corners))
        {
            return null;
        }

        var pairs = corners.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (pairs.Length > LesionOutline.MaxPoints)
        {
            return null;
        }

        var (xs, ys) = (new double[pairs.Length], new double[pairs.Length]);
        for (var i = 0; i < pairs.Length; i++)
        {
            var parts = pairs[i].Split(',');
            if (parts.Length != 2
                || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out xs[i])
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out ys[i]))
            {
                return null;
            }
        }

        return (xs, ys);
    }
}
