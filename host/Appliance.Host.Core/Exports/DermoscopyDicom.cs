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
        var dicom = DicomImage.Image(series, frame, rgb24, SopClassUid, instanceUid, "DMS", studyUid, seriesUid, 1, frame.Index + 1)
            .Add(0x0008, 0x002A, "DT", series.CapturedAt.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture))
            .Add(0x0028, 0x0302, "CS", "YES")
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
            .Add(0x0020, 0x0060, "CS", Laterality(series.BodySite));
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
