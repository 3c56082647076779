namespace Appliance.Host.Core.Exports;

/// <summary>
/// A series' overview as a DICOM VL Photographic Image (modality XC) in the same study as its
/// dermoscopic instances, in a series of its own (one modality per series): the anatomic region
/// coded from the body site where a region is named, and the laterality.
/// </summary>
public static class OverviewDicom
{
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.4";

    /// <summary>
    /// Body-site words to SNOMED CT body structures (DICOM's common anatomic regions): the first
    /// region the typed site names, longest words first so "lower leg" is not "leg".
    /// </summary>
    private static readonly (string Word, string Code, string Meaning)[] Regions =
    [
        ("upper arm", "40983000", "Upper arm"),
        ("lower leg", "30021000", "Lower leg"),
        ("forearm", "14975008", "Forearm"),
        ("shoulder", "16982005", "Shoulder region"),
        ("scalp", "41695006", "Scalp"),
        ("face", "89545001", "Face"),
        ("neck", "45048000", "Neck"),
        ("chest", "51185008", "Thorax"),
        ("abdomen", "113345001", "Abdomen"),
        ("back", "77568009", "Back"),
        ("hand", "85562004", "Hand"),
        ("thigh", "68367000", "Thigh"),
        ("foot", "56459004", "Foot"),
    ];

    public static byte[] Create(FiledSeries series, FiledFrame overview, byte[] rgb24, DermoscopyUids uids)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(overview);
        ArgumentNullException.ThrowIfNull(uids);
        var instanceUid = uids.Instance(overview.Index);
        // Series 1 is the dermoscopic pair's, 2 the measurement report's.
        var dicom = DicomImage.Image(series, overview, rgb24, SopClassUid, instanceUid, "XC", uids.Study, uids.OverviewSeries, 3, 1)
            .Add(0x0008, 0x103E, "LO", "Overview: the lesion and a landmark")
            .Add(0x0020, 0x0062, "CS", DermoscopyDicom.Laterality(series.BodySite));
        if (Region(series.BodySite) is { } region)
        {
            dicom.AddSequence(0x0008, 0x2218, new DicomWriter().Add(0x0008, 0x0100, "SH", region.Code).Add(0x0008, 0x0102, "SH", "SCT").Add(0x0008, 0x0104, "LO", region.Meaning));
        }

        return dicom.ToFile(SopClassUid, instanceUid);
    }

    /// <summary>The SNOMED CT region the body site names, if it names one we code.</summary>
    public static (string Code, string Meaning)? Region(string bodySite)
    {
        ArgumentNullException.ThrowIfNull(bodySite);
        foreach (var (word, code, meaning) in Regions)
        {
            if (bodySite.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return (code, meaning);
            }
        }

        return null;
    }
}
