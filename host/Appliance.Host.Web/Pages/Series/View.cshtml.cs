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
/// calibrated or original at a toggle, a millimetre scale bar and ruler, the quality results,
/// provenance, the same lesion's earlier series and its measurements over the visits. The page and every frame served are audited.
/// </summary>
public sealed class ViewModel(
    ISeriesArchive archive,
    ICalibrationProfiles profiles,
    SeriesRenderer renderer,
    LesionFollowUp followUp,
    Core.Jobs.PatientLesionMap lesionMap,
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

    /// <summary>Every visit of this lesion, this one included, oldest first, each measured on its calibrated cross-polarised frame.</summary>
    public IReadOnlyList<LesionVisit> Visits { get; private set; } = [];

    /// <summary>All the patient's labelled lesions, for the body map.</summary>
    public IReadOnlyList<Core.Jobs.PatientLesion> Lesions { get; private set; } = [];

    /// <summary>Why an earlier series' colours and sizes do not compare directly with this one's, by series id; none when they do.</summary>
    public IReadOnlyDictionary<string, string> EarlierCalibrationNotes { get; private set; } = new Dictionary<string, string>();

    /// <summary>This series was taken after the calibration it names had expired: its colours may be off.</summary>
    public bool TakenUnderExpiredCalibration => Profile is { } p && Series.CapturedAt > p.ExpiresAt;

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
        EarlierCalibrationNotes = await CalibrationNotesAsync(Earlier, cancellationToken);
        Visits = await followUp.HistoryAsync(series, cancellationToken);
        Lesions = await lesionMap.ListAsync(series.PatientId, cancellationToken);
        audit.Append(AuditKinds.SeriesViewed, Actor, series.SeriesId, $"episode {series.EpisodeCode}");
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    /// <summary>
    /// A dermatologist comparing visits must know when the two were not taken under the same valid
    /// calibration: colour (ΔE00) and size (mm) are only comparable when both were corrected alike.
    /// </summary>
    private async Task<Dictionary<string, string>> CalibrationNotesAsync(IReadOnlyList<FiledSeries> earlier, CancellationToken cancellationToken)
    {
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in earlier)
        {
            var theirs = await profiles.FindProfileAsync(e.DeviceId, e.CalibrationId, cancellationToken);
            var reasons = new List<string>();
            if (theirs is null)
            {
                reasons.Add("its calibration is not held: shown uncorrected");
            }
            else if (e.CapturedAt > theirs.ExpiresAt)
            {
                reasons.Add("taken under an expired calibration");
            }

            if (e.DeviceId != Series.DeviceId || e.CalibrationId != Series.CalibrationId)
            {
                reasons.Add($"a different calibration ({e.CalibrationId} on {e.DeviceId})");
            }

            if (reasons.Count > 0)
            {
                notes[e.SeriesId] = $"{string.Join("; ", reasons)}: colour and size compare only approximately";
            }
        }

        return notes;
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
