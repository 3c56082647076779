using System.Globalization;
using Appliance.Protocol;

namespace Appliance.Host.Core.Exports;

/// <summary>
/// One frame of a filed series as a DICOM Dermoscopic Photography Image (modality DMS), with
/// the Dermoscopic Image Module filled from what the appliance knows rather than what anyone
/// typed: the polarisation from the ring that lit the frame, the scale from the calibration.
/// </summary>
public static class DermoscopyDicom
{
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.7";

    /// <summary>Any frame of a series as its DICOM instance: the overview as a VL Photographic Image (<see cref="OverviewDicom"/>), the pair as dermoscopic images.</summary>
    public static byte[] InstanceOf(FiledSeries series, FiledFrame frame, byte[] rgb24, CalibrationProfile? profile, DermoscopyUids uids, string? instanceUid = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.IsOverview ? OverviewDicom.Create(series, frame, rgb24, uids) : Create(series, frame, rgb24, profile?.For(frame.Lighting), uids, instanceUid);
    }

    /// <param name="instanceUid">The instance's UID when the caller must know it (a measurement report refers to it); else the series' own for this frame.</param>
    public static byte[] Create(FiledSeries series, FiledFrame frame, byte[] rgb24, RingProfile? ring, DermoscopyUids uids, string? instanceUid = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(uids);
        var (studyUid, seriesUid) = (uids.Study, uids.Series);
        instanceUid ??= uids.Instance(frame.Index);
        var captured = series.CapturedAt.UtcDateTime;
        var date = captured.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = captured.ToString("HHmmss", CultureInfo.InvariantCulture);
        var dicom = new DicomWriter()
            .Add(0x0008, 0x0005, "CS", "ISO_IR 192")
            .Add(0x0008, 0x0008, "CS", @"ORIGINAL\PRIMARY")
            .Add(0x0008, 0x0016, "UI", SopClassUid)
            .Add(0x0008, 0x0018, "UI", instanceUid)
            .Add(0x0008, 0x0020, "DA", date)
            .Add(0x0008, 0x0023, "DA", date)
            .Add(0x0008, 0x002A, "DT", captured.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture))
            .Add(0x0008, 0x0030, "TM", time)
            .Add(0x0008, 0x0033, "TM", time)
            .Add(0x0008, 0x0050, "SH", string.Empty)
            .Add(0x0008, 0x0060, "CS", "DMS")
            .Add(0x0008, 0x0070, "LO", "ApplianceSuite")
            .Add(0x0008, 0x0090, "PN", string.Empty)
            .Add(0x0010, 0x0010, "PN", string.Empty)
            .Add(0x0010, 0x0020, "LO", series.PatientId)
            .Add(0x0010, 0x0030, "DA", string.Empty)
            .Add(0x0010, 0x0040, "CS", string.Empty)
            .Add(0x0018, 0x1000, "LO", series.DeviceId)
            .Add(0x0018, 0x1020, "LO", series.FirmwareVersion)
            .Add(0x0020, 0x000D, "UI", studyUid)
            .Add(0x0020, 0x000E, "UI", seriesUid)
            .Add(0x0020, 0x0010, "SH", string.Empty)
            .Add(0x0020, 0x0011, "IS", "1")
            .Add(0x0020, 0x0013, "IS", (frame.Index + 1).ToString(CultureInfo.InvariantCulture))
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
            .Add(0x0028, 0x0302, "CS", "YES")
            .Add(0x0028, 0x2110, "CS", "00")
            .Add(0x0016, 0x1001, "CS", frame.Lighting == LightingMode.CrossPolarised ? "POLARIZED" : "NON_POLARIZED")
            // From the calibration when it measured them (type 2: present, empty when not known).
            .Add(0x0016, 0x1002, "DS", Decimal(ring?.EmitterColorTemperature, "0"))
            .Add(0x0016, 0x1003, "CS", "CONTACT")
            // Immersion medium: none is used with a cross-polarised contact head; staff do not record it.
            .Add(0x0016, 0x1004, "CS", string.Empty)
            .Add(0x0016, 0x1005, "DS", Decimal(ring?.OpticalMagnification, "0.####"))
            .Add(0x0008, 0x1090, "LO", "ApplianceSuite dermoscopy appliance")
            .Add(0x0020, 0x0052, "UI", uids.FrameOfReference)
            .Add(0x0020, 0x1040, "LO", string.Empty)
            .Add(0x0020, 0x0060, "CS", Laterality(series.BodySite))
            .AddBytes(0x0040, 0x0555, "SQ", [])
            .AddBytes(0x7FE0, 0x0010, "OB", rgb24);
        if (ring is not null)
        {
            var spacing = (1.0 / ring.PixelsPerMillimetre).ToString("0.######", CultureInfo.InvariantCulture);
            dicom.Add(0x0028, 0x0030, "DS", $@"{spacing}\{spacing}");
        }

        return dicom.ToFile(SopClassUid, instanceUid);
    }

    /// <summary>L or R when the body site says so; empty (unknown, or midline) otherwise.</summary>
    private static string Decimal(double? value, string format) =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : string.Empty;

    internal static string Laterality(string bodySite) =>
        bodySite.Contains("left", StringComparison.OrdinalIgnoreCase) ? "L"
        : bodySite.Contains("right", StringComparison.OrdinalIgnoreCase) ? "R"
        : string.Empty;
}
