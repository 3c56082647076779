using System.Globalization;

namespace Appliance.Host.Core.Jobs;

/// <summary>Which side of the body diagram: the patient seen from the front (their right on the viewer's left) or from behind.</summary>
public enum BodyView
{
    Front,
    Back,
}

/// <summary>
/// Where a lesion lies on the project's body diagram: the view, and the point as fractions of the
/// diagram's width and height (0 to 1), so the mark survives any redrawing of the figure at
/// another size. Kept with the job's lesion label and body site, and filed with its series.
/// </summary>
public sealed record BodyMapMark(BodyView View, double X, double Y)
{
    /// <summary>Why the mark cannot be kept, or null when it can.</summary>
    public string? Problem() =>
        !Enum.IsDefined(View) ? "choose the front or the back of the body map"
        : !double.IsFinite(X) || !double.IsFinite(Y) || X is < 0 or > 1 || Y is < 0 or > 1 ? "the body map mark must lie on the diagram"
        : null;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(View == BodyView.Front ? "front" : "back")}, {X * 100:0} % across, {Y * 100:0} % down");
}

/// <summary>One of a patient's lesions as the dermatologist sees it on the body map.</summary>
/// <param name="Mark">Where the latest visit that placed it put it; null when none did.</param>
public sealed record PatientLesion(string LesionLabel, string BodySite, BodyMapMark? Mark, int Visits, DateTimeOffset LastVisit, string LatestSeriesId);

/// <summary>A patient's labelled lesions, each with its place on the body map, number of visits and last visit.</summary>
public sealed class PatientLesionMap(ISeriesArchive archive)
{
    public async Task<IReadOnlyList<PatientLesion>> ListAsync(string patientId, CancellationToken cancellationToken)
    {
        var series = await archive.ListForPatientAsync(patientId, null, cancellationToken);
        return
        [
            .. series.Where(s => s.LesionLabel is not null)
                .GroupBy(s => s.LesionLabel!, StringComparer.Ordinal)
                .Select(g =>
                {
                    var newestFirst = g.OrderByDescending(s => s.CapturedAt).ToList();
                    // A repeat visit need not place the lesion again: the latest placing stands.
                    var mark = newestFirst.Select(s => s.Mark).FirstOrDefault(m => m is not null);
                    return new PatientLesion(g.Key, newestFirst[0].BodySite, mark, newestFirst.Count, newestFirst[0].CapturedAt, newestFirst[0].SeriesId);
                })
                .OrderBy(l => l.LesionLabel, StringComparer.Ordinal),
        ];
    }
}
