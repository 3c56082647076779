using System.Globalization;
using Appliance.Calibration;
using Appliance.Host.Core.Audit;
using Appliance.Protocol;

namespace Appliance.Host.Core.Imaging;

/// <summary>One visit of a lesion: the series and what was measured on it, or why nothing was.</summary>
/// <param name="Frame">The calibrated cross-polarised frame it was measured on (at the working size); null when not measured.</param>
public sealed record LesionVisit(FiledSeries Series, LesionMeasure? Measure, string? NotMeasured, RenderedFrame? Frame, CalibrationProfile? Profile)
{
    /// <summary>Taken after the calibration it names had expired.</summary>
    public bool UnderExpiredCalibration => Profile is { } p && Series.CapturedAt > p.ExpiresAt;
}

/// <summary>How a lesion changed from one visit to a later one, in calibrated units.</summary>
public sealed record LesionChange(double AreaMm2, double AreaPercent, double DiameterMm, double ColourDeltaE00)
{
    public static LesionChange Between(LesionMeasure from, LesionMeasure to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return new LesionChange(
            to.AreaMm2 - from.AreaMm2,
            (to.AreaMm2 - from.AreaMm2) / from.AreaMm2 * 100,
            to.LongestDiameterMm - from.LongestDiameterMm,
            DeltaE2000.Between(from.MeanColour, to.MeanColour));
    }
}

/// <summary>Two visits of a lesion laid one on the other.</summary>
/// <param name="ExpectedScale">The second frame's pixels per millimetre over the first's, from the two calibrations.</param>
/// <param name="RegisteredSecond">The second visit's frame resampled onto the first's pixels (rgb24, the first frame's size).</param>
public sealed record LesionComparison(
    LesionVisit First, LesionVisit Second, Registration Registration, double ExpectedScale, IReadOnlyList<string> Warnings, byte[] RegisteredSecond)
{
    public LesionChange? Change => First.Measure is { } a && Second.Measure is { } b ? LesionChange.Between(a, b) : null;
}

/// <summary>
/// The dermatologist's follow-up of one lesion: each visit measured on its calibrated
/// cross-polarised frame (<see cref="LesionMeasurement"/>), and any two visits registered one
/// onto the other (<see cref="ImageRegistration"/>), with the reasons the comparison may mislead.
/// Frames are worked on at most <see cref="WorkingWidth"/> pixels wide: a 12 MP frame measures to
/// the same tenth of a millimetre, in a fraction of the time.
/// </summary>
public sealed class LesionFollowUp(ISeriesArchive archive, SeriesRenderer renderer, ICalibrationProfiles profiles, IAuditTrail audit)
{
    public const int WorkingWidth = 800;

    /// <summary>The scale the images show may differ from the calibrations' by this much before it is pointed out.</summary>
    private const double ScaleTolerance = 0.03;

    /// <summary>At most this much normalised grey difference after registration: above it the overlay is not to be trusted.</summary>
    private const double ResidualTolerance = 0.8;

    private readonly RecentRegistrations _registrations = new();

    /// <summary>Every filed visit of the series' lesion, this one included, oldest first, each measured.</summary>
    public async Task<IReadOnlyList<LesionVisit>> HistoryAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.LesionLabel is null ? [series] : await archive.ListForPatientAsync(series.PatientId, series.LesionLabel, cancellationToken);
        var visits = new List<LesionVisit>();
        foreach (var s in all.OrderBy(s => s.CapturedAt))
        {
            visits.Add(await MeasureAsync(s, cancellationToken));
        }

        return visits;
    }

    public async Task<LesionVisit> MeasureAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        var profile = await profiles.FindProfileAsync(series.DeviceId, series.CalibrationId, cancellationToken);
        var frame = series.Frames.FirstOrDefault(f => f.Lighting == LightingMode.CrossPolarised);
        if (frame is null)
        {
            return new LesionVisit(series, null, "the series has no cross-polarised frame", null, profile);
        }

        if (profile is null)
        {
            return new LesionVisit(series, null, $"calibration {series.CalibrationId} is not held: no calibrated size or colour", null, null);
        }

        RenderedFrame rendered;
        try
        {
            rendered = (await renderer.RenderAsync(series.SeriesId, frame.Index, calibrated: true, cancellationToken)).Thumbnail(WorkingWidth);
        }
        catch (Exception ex) when (ex is FramesReleasedException or HttpRequestException or System.Security.Cryptography.CryptographicException or IOException or InvalidOperationException)
        {
            // A series page lists every visit: one whose frame cannot be had now (released with no
            // PACS to read it back, the PACS away, a copy that fails its digest) says so, and the page stands.
            return new LesionVisit(series, null, $"its frame could not be read ({ex.Message})", null, profile);
        }

        try
        {
            // An outline corrected by hand replaces the one found, for every measurement of the series.
            var ppm = rendered.PixelsPerMillimetre!.Value;
            var measure = series.Outline is { } outline
                ? LesionMeasurement.MeasureWithin(rendered.Rgb24, rendered.Width, rendered.Height, ppm, outline.Rasterise(rendered.Width, rendered.Height))
                : LesionMeasurement.Measure(rendered.Rgb24, rendered.Width, rendered.Height, ppm);
            return new LesionVisit(series, measure, null, rendered, profile);
        }
        catch (InvalidOperationException ex)
        {
            return new LesionVisit(series, null, ex.Message, rendered, profile);
        }
    }

    /// <exception cref="KeyNotFoundException">when either series is not filed.</exception>
    /// <exception cref="ArgumentException">when the two are not visits of the same lesion of the same patient.</exception>
    /// <exception cref="InvalidOperationException">when either has no calibrated cross-polarised frame to compare.</exception>
    /// <summary>Keeps the dermatologist's outline with the series (null: back to the outline found), audited with who and the area it gives.</summary>
    /// <exception cref="ArgumentException">when the outline is not a polygon on the frame.</exception>
    /// <exception cref="KeyNotFoundException">when the series is not filed.</exception>
    public async Task<LesionVisit> CorrectOutlineAsync(string seriesId, LesionOutline? outline, string actor, CancellationToken cancellationToken)
    {
        if (outline?.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(outline));
        }

        if (!await archive.RecordOutlineAsync(seriesId, outline, cancellationToken))
        {
            throw new KeyNotFoundException($"series {seriesId} is not filed");
        }

        var visit = await MeasureAsync((await archive.FindAsync(seriesId, cancellationToken))!, cancellationToken);
        audit.Append(AuditKinds.LesionOutlineCorrected, actor, seriesId, outline is null
            ? "back to the outline found"
            : string.Create(CultureInfo.InvariantCulture, $"{outline.X.Count} corners, {visit.Measure?.AreaMm2:0.0} mm²"));
        return visit;
    }

    public async Task<LesionComparison> CompareAsync(string firstId, string secondId, CancellationToken cancellationToken)
    {
        var firstSeries = await archive.FindAsync(firstId, cancellationToken) ?? throw new KeyNotFoundException($"series {firstId} is not filed");
        var secondSeries = await archive.FindAsync(secondId, cancellationToken) ?? throw new KeyNotFoundException($"series {secondId} is not filed");
        if (firstSeries.PatientId != secondSeries.PatientId || firstSeries.LesionLabel is null || firstSeries.LesionLabel != secondSeries.LesionLabel)
        {
            throw new ArgumentException($"series {firstId} and {secondId} are not visits of the same lesion");
        }

        var first = await MeasureAsync(firstSeries, cancellationToken);
        var second = await MeasureAsync(secondSeries, cancellationToken);
        if (first.Frame is not { } a || second.Frame is not { } b)
        {
            throw new InvalidOperationException($"both visits need a calibrated cross-polarised frame: {(first.Frame is null ? first.NotMeasured : second.NotMeasured)}");
        }

        var expectedScale = b.PixelsPerMillimetre!.Value / a.PixelsPerMillimetre!.Value;
        var lesions = first.Measure is { } ma && second.Measure is { } mb ? (ma, mb) : default((LesionMeasure, LesionMeasure)?);
        var registration = _registrations.GetOrAdd(firstId, secondId, () => ImageRegistration.Register(a.Rgb24, a.Width, a.Height, b.Rgb24, b.Width, b.Height, expectedScale, lesions));
        var registered = ImageRegistration.Resample(b.Rgb24, b.Width, b.Height, registration.Transform, a.Width, a.Height);
        return new LesionComparison(first, second, registration, expectedScale, Warnings(first, second, registration, expectedScale), registered);
    }

    private static List<string> Warnings(LesionVisit first, LesionVisit second, Registration registration, double expectedScale)
    {
        var warnings = new List<string>();
        if (first.Series.DeviceId != second.Series.DeviceId || first.Series.CalibrationId != second.Series.CalibrationId)
        {
            warnings.Add($"The visits were taken under different calibrations ({first.Series.CalibrationId} on {first.Series.DeviceId}, {second.Series.CalibrationId} on {second.Series.DeviceId}): each is corrected, so sizes and colours compare, within each calibration's stated accuracy.");
        }

        foreach (var visit in new[] { first, second }.Where(v => v.UnderExpiredCalibration))
        {
            warnings.Add($"The visit of {visit.Series.CapturedAt:yyyy-MM-dd} was taken after its calibration had expired: its colours and sizes may be off.");
        }

        foreach (var visit in new[] { first, second }.Where(v => v.Measure is null))
        {
            warnings.Add($"The lesion could not be measured on the visit of {visit.Series.CapturedAt:yyyy-MM-dd}: {visit.NotMeasured}.");
        }

        var scaleDifference = (registration.Transform.Scale / expectedScale) - 1;
        if (Math.Abs(scaleDifference) > ScaleTolerance)
        {
            warnings.Add($"The images' scale differs from what the two calibrations say by {scaleDifference * 100:+0.0;-0.0} %: the head may have sat differently on the skin, or a calibration may be wrong; sizes compare only approximately.");
        }

        if (registration.Residual > ResidualTolerance || registration.Overlap < 0.5)
        {
            warnings.Add($"The two frames could not be laid well on each other ({registration.Overlap * 100:0} % overlap): judge the overlay with care.");
        }

        return warnings;
    }
}
