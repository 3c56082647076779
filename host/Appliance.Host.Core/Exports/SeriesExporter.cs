using System.Text.Json;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Imaging;
using Appliance.Protocol;

namespace Appliance.Host.Core.Exports;

/// <summary>Why a series is exported: direct care of this patient, or teaching (which needs the patient's consent to it).</summary>
public enum ExportPurpose
{
    DirectCare,
    Teaching,
}

public enum ExportFormat
{
    /// <summary>One Dermoscopic Photography Image per frame (original pixels, as DICOM expects).</summary>
    Dicom,

    /// <summary>Each frame as PNG, original and calibrated, with a JSON sidecar of everything else.</summary>
    Png,

    /// <summary>A FHIR R4 bundle: Patient, a Media per frame (PNG inside), the lesion's measurements as Observations, and the Consent.</summary>
    Fhir,
}

/// <summary>
/// Writes a filed series out of the archive for another system or a person. Teaching exports
/// are refused unless the patient consented to teaching, and carry no patient identifier;
/// every export is audited with who made it, the purpose and the format.
/// </summary>
public sealed class SeriesExporter(ISeriesArchive archive, ICalibrationProfiles profiles, SeriesRenderer renderer, LesionFollowUp followUp, IAuditTrail audit, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <returns>The files written.</returns>
    public async Task<IReadOnlyList<string>> ExportAsync(string seriesId, ExportFormat format, ExportPurpose purpose, string folder, string actor, CancellationToken cancellationToken)
    {
        var series = await archive.FindAsync(seriesId, cancellationToken) ?? throw new KeyNotFoundException($"series {seriesId} is not filed");
        if (purpose == ExportPurpose.Teaching && !series.TeachingAllowed)
        {
            throw new InvalidOperationException(series.ConsentWithdrawn is { } withdrawn
                ? $"series {seriesId} may not be used for teaching: consent was withdrawn on {withdrawn.WithdrawnAt:yyyy-MM-dd}"
                : $"series {seriesId} may be used for direct care only: the patient did not consent to teaching");
        }

        Directory.CreateDirectory(folder);
        var profile = await profiles.FindProfileAsync(series.DeviceId, series.CalibrationId, cancellationToken);
        // Teaching material must not identify the patient: the episode code stands in, and an
        // overview goes only once staff confirmed it shows no face, tattoo or other identifying feature.
        var subject = purpose != ExportPurpose.Teaching ? series
            : series with { PatientId = series.EpisodeCode, Frames = series.OverviewFitForTeaching ? series.Frames : [.. series.DermoscopicFrames] };
        var written = format switch
        {
            // The patient's copy is the same SOP instances the PACS holds; a teaching copy is a new, unidentified one.
            ExportFormat.Dicom => await WriteDicomAsync(subject, profile, purpose == ExportPurpose.Teaching ? DermoscopyUids.Fresh() : DermoscopyUids.Of(series), folder, cancellationToken),
            ExportFormat.Fhir => await WriteFhirAsync(subject, profile, folder, purpose == ExportPurpose.Teaching, cancellationToken),
            _ => await WritePngAsync(subject, profile, folder, cancellationToken),
        };
        audit.Append(AuditKinds.SeriesExported, actor, seriesId, $"{format} for {purpose}, {written.Count} files");
        return written;
    }

    private async Task<List<string>> WriteDicomAsync(FiledSeries series, CalibrationProfile? profile, DermoscopyUids uids, string folder, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        var instances = new Dictionary<int, string>();
        foreach (var frame in series.Frames)
        {
            var pixels = await archive.ReadFrameAsync(series.SeriesId, frame.Index, cancellationToken);
            var path = Path.Combine(folder, $"{series.SeriesId}-{frame.Index}.dcm");
            var instance = uids.Instance(frame.Index);
            instances[frame.Index] = instance;
            await File.WriteAllBytesAsync(path, DermoscopyDicom.InstanceOf(series, frame, pixels, profile, uids, instance), cancellationToken);
            written.Add(path);
        }

        // The lesion's measurements, where DICOM keeps them: an SR document in the same study, on the cross-polarised image.
        var visit = await followUp.MeasureAsync(series, cancellationToken);
        if (visit.Measure is { } lesion && series.Frames.FirstOrDefault(f => f.Lighting == LightingMode.CrossPolarised) is { } measured)
        {
            var outline = series.Outline is { } o ? (o.X, o.Y) : ((IReadOnlyList<double>, IReadOnlyList<double>))lesion.OutlinePolygon();
            var path = Path.Combine(folder, $"{series.SeriesId}-measurements.dcm");
            await File.WriteAllBytesAsync(path, MeasurementReportDicom.Create(
                series, lesion, outline, (uids.Study, uids.Series, instances[measured.Index], measured.Width, measured.Height), uids.Tracking(series)), cancellationToken);
            written.Add(path);
        }

        return written;
    }

    private async Task<List<string>> WriteFhirAsync(FiledSeries series, CalibrationProfile? profile, string folder, bool pseudonymised, CancellationToken cancellationToken)
    {
        var pngs = new Dictionary<int, byte[]>();
        foreach (var frame in series.Frames)
        {
            pngs[frame.Index] = (await renderer.RenderAsync(series.SeriesId, frame.Index, calibrated: false, cancellationToken)).ToPng();
        }

        var lesion = (await followUp.MeasureAsync(series, cancellationToken)).Measure;
        var path = Path.Combine(folder, $"{series.SeriesId}.fhir.json");
        await File.WriteAllTextAsync(path, FhirSeriesBundle.Serialize(FhirSeriesBundle.Create(series, pngs, profile, pseudonymised, time.GetUtcNow(), lesion)), cancellationToken);
        return [path];
    }

    private async Task<List<string>> WritePngAsync(FiledSeries series, CalibrationProfile? profile, string folder, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        foreach (var frame in series.Frames)
        {
            // The overview is not calibrated (another camera, the room's light): its original only.
            foreach (var calibrated in profile is null || frame.IsOverview ? [false] : new[] { false, true })
            {
                var rendered = await renderer.RenderAsync(series.SeriesId, frame.Index, calibrated, cancellationToken);
                var path = Path.Combine(folder, $"{series.SeriesId}-{frame.Index}-{(calibrated ? "calibrated" : "original")}.png");
                await File.WriteAllBytesAsync(path, rendered.ToPng(), cancellationToken);
                written.Add(path);
            }
        }

        var lesion = (await followUp.MeasureAsync(series, cancellationToken)).Measure;
        var sidecar = Path.Combine(folder, $"{series.SeriesId}.json");
        await File.WriteAllBytesAsync(sidecar, JsonSerializer.SerializeToUtf8Bytes(new
        {
            series.SeriesId,
            series.PatientId,
            series.EpisodeCode,
            series.BodySite,
            series.LesionLabel,
            series.ConsentScope,
            series.Consent,
            series.ConsentWithdrawn,
            series.IntimateSite,
            series.CapturedAt,
            series.FiledAt,
            Appliance = series.DeviceId,
            series.FirmwareVersion,
            series.Quality,
            series.Camera,
            Frames = series.Frames.Select(f => new
            {
                f.Index,
                Role = f.IsOverview ? "overview" : "dermoscopic",
                f.Lighting,
                f.Width,
                f.Height,
                f.Sha256,
                PixelSpacingMillimetres = profile?.For(f.Lighting) is { } r ? 1 / r.PixelsPerMillimetre : (double?)null,
            }),
            // Measured on the calibrated cross-polarised frame (at most LesionFollowUp.WorkingWidth wide).
            Lesion = lesion is null ? null : new
            {
                lesion.AreaMm2,
                lesion.LongestDiameterMm,
                MeanColourCielab = new { lesion.MeanColour.L, lesion.MeanColour.A, lesion.MeanColour.B },
            },
            Calibration = profile is null ? null : new
            {
                profile.ProfileId,
                profile.CreatedAt,
                profile.ExpiresAt,
                profile.TargetName,
                Rings = profile.Rings.Select(r => new { r.Ring, r.DeltaEMeanBefore, r.DeltaEMeanAfter, r.DeltaEMaxAfter, r.PixelsPerMillimetre }),
            },
        }, Json), cancellationToken);
        written.Add(sidecar);
        return written;
    }
}
