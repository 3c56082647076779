using System.Globalization;
using Appliance.Host.Core.Imaging;

namespace Appliance.Host.Core.Exports;

/// <summary>
/// The lesion's measurements as DICOM keeps them: the Dermoscopic Photography Image has no
/// attribute for a measurement, so they go in a separate Comprehensive SR document (SOP class
/// 1.2.840.10008.5.1.4.1.1.88.33, modality SR) in the same study, following TID 1500 (Imaging
/// Measurement Report): one measurement group tracking the lesion by its label and a UID that
/// stays the same across the patient's visits, holding the outline as a polygon on the
/// cross-polarised image (a closed polyline), its area (SNOMED CT 42798000) in mm² and its long axis (103339001) in
/// mm, and the mean colour in CIELAB, for which no standard code exists (coded in our private
/// scheme, 99APPSUITE).
/// </summary>
public static class MeasurementReportDicom
{
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.88.33";
    public const string PrivateScheme = "99APPSUITE";

    /// <param name="outline">The outline measured (corrected by hand or found), as fractions of the frame.</param>
    /// <param name="image">The cross-polarised frame as exported: its study, series and instance UIDs and its size.</param>
    /// <param name="trackingUid">The same for every visit of this lesion of this patient (fresh for a teaching copy).</param>
    public static byte[] Create(
        FiledSeries series, LesionMeasure lesion, (IReadOnlyList<double> X, IReadOnlyList<double> Y) outline,
        (string Study, string Series, string Instance, int Width, int Height) image, string trackingUid)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(lesion);
        var (studyUid, imageInstanceUid) = (image.Study, image.Instance);
        var (seriesUid, instanceUid) = (DicomWriter.NewUid(), DicomWriter.NewUid());
        var reference = new DicomWriter()
            .Add(0x0008, 0x1150, "UI", DermoscopyDicom.SopClassUid)
            .Add(0x0008, 0x1155, "UI", imageInstanceUid);
        var region = Item("CONTAINS", "SCOORD", Code("111030", "DCM", "Image Region"))
            // SR has no POLYGON: a closed polyline, its first point repeated at the end, is one.
            .Add(0x0070, 0x0023, "CS", "POLYLINE")
            .AddBytes(0x0070, 0x0022, "FL", Polygon(outline.X, outline.Y, image.Width, image.Height))
            .AddSequence(0x0040, 0xA730, new DicomWriter()
                .Add(0x0040, 0xA010, "CS", "SELECTED FROM")
                .Add(0x0040, 0xA040, "CS", "IMAGE")
                .AddSequence(0x0008, 0x1199, reference));
        var group = Item("CONTAINS", "CONTAINER", Code("125007", "DCM", "Measurement Group"))
            .Add(0x0040, 0xA050, "CS", "SEPARATE")
            .AddSequence(0x0040, 0xA730,
                Item("HAS OBS CONTEXT", "TEXT", Code("112039", "DCM", "Tracking Identifier")).Add(0x0040, 0xA160, "UT", $"lesion {series.LesionLabel ?? series.BodySite}"),
                Item("HAS OBS CONTEXT", "UIDREF", Code("112040", "DCM", "Tracking Unique Identifier")).Add(0x0040, 0xA124, "UI", trackingUid),
                Item("CONTAINS", "CODE", Code("121071", "DCM", "Finding")).AddSequence(0x0040, 0xA168, Code("LESION", PrivateScheme, "Pigmented skin lesion")),
                Item("HAS CONCEPT MOD", "CODE", Code("363698007", "SCT", "Finding Site")).AddSequence(0x0040, 0xA168, Code("SITE", PrivateScheme, Truncate(series.BodySite, 64))),
                region,
                Number(Code("42798000", "SCT", "Area"), lesion.AreaMm2, Code("mm2", "UCUM", "mm2")),
                Number(Code("103339001", "SCT", "Long Axis"), lesion.LongestDiameterMm, Code("mm", "UCUM", "mm")),
                Number(Code("CIELAB-L", PrivateScheme, "Mean CIELAB L*"), lesion.MeanColour.L, Code("1", "UCUM", "no units")),
                Number(Code("CIELAB-A", PrivateScheme, "Mean CIELAB a*"), lesion.MeanColour.A, Code("1", "UCUM", "no units")),
                Number(Code("CIELAB-B", PrivateScheme, "Mean CIELAB b*"), lesion.MeanColour.B, Code("1", "UCUM", "no units")));
        var evidence = new DicomWriter()
            .Add(0x0020, 0x000D, "UI", studyUid)
            .AddSequence(0x0008, 0x1115, new DicomWriter()
                .Add(0x0020, 0x000E, "UI", image.Series)
                .AddSequence(0x0008, 0x1199, reference));
        var dicom = DicomImage.Header(series, SopClassUid, instanceUid, "SR", studyUid, seriesUid, 2, 1)
            // Our private codes, declared as PS3.3 C.12.1.1.2 asks.
            .AddSequence(0x0008, 0x0110, new DicomWriter()
                .Add(0x0008, 0x0102, "SH", PrivateScheme)
                .Add(0x0008, 0x0115, "ST", "ApplianceSuite local codes")
                .Add(0x0008, 0x0116, "ST", "ApplianceSuite"))
            .AddBytes(0x0008, 0x1111, "SQ", [])
            .Add(0x0040, 0xA040, "CS", "CONTAINER")
            .AddSequence(0x0040, 0xA043, Code("126000", "DCM", "Imaging Measurement Report"))
            .Add(0x0040, 0xA050, "CS", "SEPARATE")
            .AddBytes(0x0040, 0xA372, "SQ", [])
            .AddSequence(0x0040, 0xA375, evidence)
            .Add(0x0040, 0xA491, "CS", "COMPLETE")
            .Add(0x0040, 0xA493, "CS", "UNVERIFIED")
            .AddSequence(0x0040, 0xA504, new DicomWriter().Add(0x0008, 0x0105, "CS", "DCMR").Add(0x0040, 0xDB00, "CS", "1500"))
            .AddSequence(0x0040, 0xA730,
                Item("HAS CONCEPT MOD", "CODE", Code("121049", "DCM", "Language of Content Item and Descendants")).AddSequence(0x0040, 0xA168, Code("en", "RFC5646", "English")),
                Item("HAS CONCEPT MOD", "CODE", Code("121058", "DCM", "Procedure reported")).AddSequence(0x0040, 0xA168, Code("DERMOSCOPY", PrivateScheme, "Contact dermoscopy, cross-polarised")),
                Item("CONTAINS", "CONTAINER", Code("126010", "DCM", "Imaging Measurements")).Add(0x0040, 0xA050, "CS", "SEPARATE").AddSequence(0x0040, 0xA730, group));
        return dicom.ToFile(SopClassUid, instanceUid);
    }

    private static DicomWriter Code(string value, string scheme, string meaning) =>
        new DicomWriter().Add(0x0008, 0x0100, "SH", value).Add(0x0008, 0x0102, "SH", scheme).Add(0x0008, 0x0104, "LO", meaning);

    private static DicomWriter Item(string relationship, string valueType, DicomWriter conceptName) =>
        new DicomWriter().Add(0x0040, 0xA010, "CS", relationship).Add(0x0040, 0xA040, "CS", valueType).AddSequence(0x0040, 0xA043, conceptName);

    private static DicomWriter Number(DicomWriter conceptName, double value, DicomWriter units) =>
        Item("CONTAINS", "NUM", conceptName).AddSequence(0x0040, 0xA300, new DicomWriter()
            .Add(0x0040, 0xA30A, "DS", value.ToString("0.###", CultureInfo.InvariantCulture))
            .AddSequence(0x0040, 0x08EA, units));

    /// <summary>Column, row pairs in the image's pixels (PS3.3 C.18.6: the top-left pixel's top-left corner is 0,0), closed: the first point again at the end.</summary>
    private static byte[] Polygon(IReadOnlyList<double> xs, IReadOnlyList<double> ys, int width, int height)
    {
        var values = new List<float>();
        for (var i = 0; i <= xs.Count; i++)
        {
            values.Add((float)(xs[i % xs.Count] * width));
            values.Add((float)(ys[i % ys.Count] * height));
        }

        return [.. values.SelectMany(BitConverter.GetBytes)];
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
