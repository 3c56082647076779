using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Host.Core.Exports;

/// <summary>
/// The UIDs a series' DICOM instances carry. For the patient's record (the PACS, a direct-care
/// export) they are derived from the job and series ids, so the same frame is always the same
/// SOP instance and a PACS that receives it twice keeps it once. A teaching copy, which carries
/// no patient identifier, gets fresh ones: it must not pass for the identified instance.
/// </summary>
public sealed class DermoscopyUids
{
    private readonly string? _seriesId;

    private DermoscopyUids(string study, string series, string overviewSeries, string frameOfReference, string? seriesId) =>
        (Study, Series, OverviewSeries, FrameOfReference, _seriesId) = (study, series, overviewSeries, frameOfReference, seriesId);

    public string Study { get; }

    public string Series { get; }

    /// <summary>The overview's own series in the same study: a DICOM series holds one modality, and the overview's (XC) is not the pair's (DMS).</summary>
    public string OverviewSeries { get; }

    public string FrameOfReference { get; }

    /// <summary>The same UIDs every time for this series: a study per capture job, a series per filed series, an instance per frame.</summary>
    public static DermoscopyUids Of(FiledSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        return new(Derived("study", series.JobId), Derived("series", series.SeriesId), Derived("overview-series", series.SeriesId), Derived("frame-of-reference", series.SeriesId), series.SeriesId);
    }

    /// <summary>New UIDs, unrelated to any other copy.</summary>
    public static DermoscopyUids Fresh() => new(DicomWriter.NewUid(), DicomWriter.NewUid(), DicomWriter.NewUid(), DicomWriter.NewUid(), null);

    /// <summary>
    /// The lesion's tracking UID in a measurement report: the same at every visit of this lesion
    /// of this patient, so a PACS or viewer can follow it; a teaching copy's is fresh.
    /// </summary>
    public string Tracking(FiledSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        return _seriesId is null || series.LesionLabel is null ? DicomWriter.NewUid() : Derived("lesion-tracking", $"{series.PatientId}\n{series.LesionLabel}");
    }


    public string Instance(int frameIndex) =>
        _seriesId is null ? DicomWriter.NewUid() : Derived("instance", $"{_seriesId}/{frameIndex.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// A name-based UUID (version 8: SHA-256 of a namespace and the name, the version and variant
    /// bits set) under the UUID root 2.25, as PS3.5 B.2 allows: no registration, no collision.
    /// </summary>
    private static string Derived(string kind, string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"appliance-suite/dicom-uid/v1\n{kind}\n{name}"));
        var uuid = hash.AsSpan(0, 16).ToArray();
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x80);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        return "2.25." + new BigInteger(uuid, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }
}
