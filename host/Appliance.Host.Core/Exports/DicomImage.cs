using System.Globalization;

namespace Appliance.Host.Core.Exports;

/// <summary>
/// What every instance exported from a filed series carries: SOP common, patient (the identifier
/// only), study and series (<see cref="Header"/>); and for an image, equipment, general image and
/// the frame as RGB pixels (<see cref="Image"/>). The dermoscopic images, the overview and the
/// measurement report add their own modules to it.
/// </summary>
internal static class DicomImage
{
    public static DicomWriter Header(FiledSeries series, string sopClassUid, string instanceUid, string modality, string studyUid, string seriesUid, int seriesNumber, int instanceNumber)
    {
        var captured = series.CapturedAt.UtcDateTime;
        var date = captured.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = captured.ToString("HHmmss", CultureInfo.InvariantCulture);
        return new DicomWriter()
            .Add(0x0008, 0x0005, "CS", "ISO_IR 192")
            .Add(0x0008, 0x0016, "UI", sopClassUid)
            .Add(0x0008, 0x0018, "UI", instanceUid)
            .Add(0x0008, 0x0020, "DA", date)
            .Add(0x0008, 0x0023, "DA", date)
            .Add(0x0008, 0x0030, "TM", time)
            .Add(0x0008, 0x0033, "TM", time)
            .Add(0x0008, 0x0050, "SH", string.Empty)
            .Add(0x0008, 0x0060, "CS", modality)
            .Add(0x0008, 0x0070, "LO", "ApplianceSuite")
            .Add(0x0008, 0x0090, "PN", string.Empty)
            .Add(0x0010, 0x0010, "PN", string.Empty)
            .Add(0x0010, 0x0020, "LO", series.PatientId)
            .Add(0x0010, 0x0030, "DA", string.Empty)
            .Add(0x0010, 0x0040, "CS", string.Empty)
            .Add(0x0020, 0x000D, "UI", studyUid)
            .Add(0x0020, 0x000E, "UI", seriesUid)
            .Add(0x0020, 0x0010, "SH", string.Empty)
            .Add(0x0020, 0x0011, "IS", seriesNumber.ToString(CultureInfo.InvariantCulture))
            .Add(0x0020, 0x0013, "IS", instanceNumber.ToString(CultureInfo.InvariantCulture));
    }

    public static DicomWriter Image(FiledSeries series, FiledFrame frame, byte[] rgb24, string sopClassUid, string instanceUid, string modality, string studyUid, string seriesUid, int seriesNumber, int instanceNumber) =>
        Header(series, sopClassUid, instanceUid, modality, studyUid, seriesUid, seriesNumber, instanceNumber)
            .Add(0x0008, 0x0008, "CS", @"ORIGINAL\PRIMARY")
            .Add(0x0018, 0x1000, "LO", series.DeviceId)
            .Add(0x0018, 0x1020, "LO", series.FirmwareVersion)
            .Add(0x0020, 0x0020, "CS", string.Empty)
            .AddUs(0x0028, 0x0002, 3)
            .Add(0x0028, 0x0004, "CS", "RGB")
            .AddUs(0x0028, 0x0006, 0)
            .AddUs(0x0028, 0x0010, (ushort)frame.Height)
            .AddUs(0x0028, 0x0011, (ushort)frame.Width)
            .AddUs(0x0028, 0x0100, 8)
            .AddUs(0x0028, 0x0101, 8)
            .AddUs(0x0028, 0x0102, 7)
            .AddUs(0x0028, 0x0103, 0)
            .Add(0x0028, 0x2110, "CS", "00")
            .AddBytes(0x0040, 0x0555, "SQ", [])
            .AddBytes(0x7FE0, 0x0010, "OB", rgb24);
}
