using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Exports;
using Appliance.Host.Core.Imaging;
using Appliance.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Series;

/// <summary>
/// One series for a dermatologist: both frames side by side with zoom and pan kept in step,
/// calibrated or original at a toggle, a millimetre scale bar, the quality results, provenance
/// and the same lesion's earlier series. The page and every frame served are audited.
/// </summary>
public sealed class ViewModel(
    ISeriesArchive archive,
    ICalibrationProfiles profiles,
    SeriesRenderer renderer,
    SeriesExporter exporter,
    IAuditTrail audit,
    Core.Pacs.IPacsQueue pacsQueue,
    Microsoft.Extensions.Options.IOptions<Core.Pacs.PacsOptions> pacsOptions) : PageModel
{
    /// <summary>Where the series stands on its way to the PACS; null when the host forwards to none.</summary>
    public Core.Pacs.PacsDelivery? Pacs { get; private set; }

    public bool ForwardsToPacs => pacsOptions.Value.Enabled;

    public string? ExportError { get; private set; }

    public FiledSeries Series { get; private set; } = null!;

    public CalibrationProfile? Profile { get; private set; }

    public IReadOnlyList<FiledSeries> Earlier { get; private set; } = [];

    private string Actor => User.Identity?.Name ?? "unknown";

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var series = await archive.FindAsync(id, cancellationToken);
        if (series is null)
        {
            return NotFound();
        }

        Series = series;
        Profile = await profiles.FindProfileAsync(series.DeviceId, series.CalibrationId, cancellationToken);
        Pacs = ForwardsToPacs ? await pacsQueue.FindAsync(series.SeriesId, cancellationToken) : null;
        Earlier = series.LesionLabel is null
            ? []
            : [.. (await archive.ListForPatientAsync(series.PatientId, series.LesionLabel, cancellationToken)).Where(s => s.SeriesId != series.SeriesId)];
        audit.Append(AuditKinds.SeriesViewed, Actor, series.SeriesId, $"episode {series.EpisodeCode}");
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    /// <summary>A frame as PNG, original or calibrated; never cached by the browser (patient images).</summary>
    public async Task<IActionResult> OnGetFrameAsync(string id, int index, bool calibrated, CancellationToken cancellationToken)
    {
        RenderedFrame frame;
        try
        {
            frame = await renderer.RenderAsync(id, index, calibrated, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }
        catch (InvalidOperationException ex)
        {
            return new ConflictObjectResult(ex.Message);
        }

        audit.Append(AuditKinds.FrameViewed, Actor, id, $"frame {index} {(calibrated ? "calibrated" : "original")}");
        Response.Headers.CacheControl = "no-store";
        return File(frame.ToPng(), "image/png");
    }

    /// <summary>
    /// The series exported as a zip to download. The files are written to an owner-only folder
    /// and deleted once zipped: patient images do not stay on the host's disk outside the archive.
    /// </summary>
    public async Task<IActionResult> OnPostExportAsync(string id, ExportFormat format, ExportPurpose purpose, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("appliance-export-");
        try
        {
            await exporter.ExportAsync(id, format, purpose, folder.FullName, Actor, cancellationToken);
            var zip = new MemoryStream();
            await System.IO.Compression.ZipFile.CreateFromDirectoryAsync(folder.FullName, zip, System.IO.Compression.CompressionLevel.Fastest, includeBaseDirectory: false, cancellationToken);
            zip.Position = 0;
            Response.Headers.CacheControl = "no-store";
            return File(zip, "application/zip", $"{id}-{format.ToString().ToLowerInvariant()}-{purpose.ToString().ToLowerInvariant()}.zip");
        }
        catch (KeyNotFoundException)
        {
            return NotFound();
        }
        catch (InvalidOperationException ex)
        {
            ExportError = ex.Message;
            return await OnGetAsync(id, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public RingProfile? RingOf(LightingMode lighting) => Profile?.For(lighting);
}
