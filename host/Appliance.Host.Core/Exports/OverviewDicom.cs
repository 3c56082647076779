using System.Text.RegularExpressions;

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
    /// Body-site words to the SNOMED CT codes of DICOM's anatomic regions (PS3.16 CID 4, which
    /// takes in CID 4031's common regions; checked against the 2025 tables, where chest and
    /// abdomen are 816094009 and 818981001, not the older 51185008 and 113345001): the first
    /// region the typed site names as whole words, in this order: the more particular first, so
    /// "back of the left hand" is the hand and "lower leg" is not the leg.
    /// </summary>
    private static readonly (string Word, string Code, string Meaning)[] Regions =
    [
        ("finger", "7569003", "Finger"),
        ("thumb", "76505004", "Thumb"),
        ("toe", "29707007", "Toe"),
        ("hand", "85562004", "Hand"),
        ("foot", "56459004", "Foot"),
        ("forearm", "14975008", "Forearm"),
        ("upper arm", "40983000", "Upper arm"),
        ("lower leg", "30021000", "Lower leg"),
        ("knee", "72696002", "Knee"),
        ("thigh", "68367000", "Thigh"),
        ("nose", "45206002", "Nose"),
        ("ear", "117590005", "Ear"),
        ("cheek", "60819002", "Cheek"),
        ("forehead", "89545001", "Face"),
        ("face", "89545001", "Face"),
        ("scalp", "41695006", "Scalp"),
        ("head", "69536005", "Head"),
        ("neck", "45048000", "Neck"),
        ("axilla", "91470000", "Axilla"),
        ("shoulder", "16982005", "Shoulder"),
        ("breast", "76752008", "Breast"),
        ("chest", "816094009", "Chest"),
        ("abdomen", "818981001", "Abdomen"),
        ("flank", "58602004", "Flank"),
        ("buttock", "46862004", "Buttock"),
        ("back", "77568009", "Back"),
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
            if (Regex.IsMatch(bodySite, $@"\b{word}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            {
                return (code, meaning);
            }
        }

        return null;
    }
}
