using System.Diagnostics;
using Appliance.Host.Core;
using Appliance.Host.Core.Exports;
using Appliance.Protocol;

namespace Appliance.UnitTests;

public sealed class DermoscopyDicomTests
{
    [Fact]
    public void ThePatientsCopy_IsTheSameInstancesEveryTime_AndATeachingCopyNeverIs()
    {
        var series = new FiledSeries("s-1", "clinic-a-01", "job-1", "EP-ABCDEFGHJK", "TEST-PATIENT-9", "back", ConsentScope.DirectCare, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "0.1.0",
            "x", 0, new QualityReport(true, [], 0.5, 0, 1, 0), new CameraSettings(64, 48, TimeSpan.FromMilliseconds(8), 1, 1, 1, 2), []);
        var (once, again, other) = (DermoscopyUids.Of(series), DermoscopyUids.Of(series), DermoscopyUids.Of(series with { SeriesId = "s-2" }));
        var fresh = DermoscopyUids.Fresh();
        Assert.Equal((once.Study, once.Series, once.FrameOfReference, once.Instance(1)), (again.Study, again.Series, again.FrameOfReference, again.Instance(1)));
        Assert.Equal(once.Study, other.Study); // one capture job, one study
        string[] all = [once.Series, other.Series, once.FrameOfReference, once.Instance(0), once.Instance(1), other.Instance(0), fresh.Series, fresh.Instance(0), fresh.Instance(0)];
        Assert.Equal(all.Length, all.Distinct().Count());
        // UIDs under 2.25: digits only, no leading zero in a component, at most 64 characters.
        Assert.All(all.Append(once.Study), uid => Assert.Matches(@"^2\.25\.[1-9][0-9]{0,38}$", uid));
    }

    [Fact]
    public void ALesionsTrackingUid_IsTheSameAtEveryVisit_AndNeverInATeachingCopy()
    {
        var visit = new FiledSeries("s-1", "clinic-a-01", "job-1", "EP-ABCDEFGHJK", "TEST-PATIENT-9", "back", ConsentScope.DirectCare, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "0.1.0",
            "x", 0, new QualityReport(true, [], 0.5, 0, 1, 0), new CameraSettings(64, 48, TimeSpan.FromMilliseconds(8), 1, 1, 1, 2), [], LesionLabel: "L1");
        var later = visit with { SeriesId = "s-9", JobId = "job-9" };

        var tracking = DermoscopyUids.Of(visit).Tracking(visit);

        Assert.Equal(tracking, DermoscopyUids.Of(later).Tracking(later));
        Assert.NotEqual(tracking, DermoscopyUids.Of(later).Tracking(later with { LesionLabel = "L2" }));
        Assert.NotEqual(tracking, DermoscopyUids.Of(later).Tracking(later with { PatientId = "TEST-PATIENT-8" }));
        Assert.NotEqual(tracking, DermoscopyUids.Fresh().Tracking(visit));
        Assert.Matches(@"^2\.25\.[1-9][0-9]{0,38}$", tracking);
    }

    [Theory]
    [InlineData(LightingMode.CrossPolarised, "POLARIZED")]
    [InlineData(LightingMode.NonPolarised, "NON_POLARIZED")]
    public async Task AnExportedFrame_IsAValidDermoscopicPhotographyImage_FilledFromWhatTheApplianceKnows(LightingMode lighting, string polarization)
    {
        var series = new FiledSeries("s-1", "clinic-a-01", "job-1", "EP-ABCDEFGHJK", "TEST-PATIENT-9", "left forearm", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "0.1.0",
            "clinic-a-01-x", 0, new QualityReport(true, [], 0.5, 0, 1, 0), new CameraSettings(64, 48, TimeSpan.FromMilliseconds(8), 1, 1, 1, 2),
            [new FiledFrame(0, lighting, 64, 48, "rgb24", "sha", "f0")]);
        var ring = new RingProfile(lighting, 1, 1, [1, 1, 1], [1, 1, 1], [1, 1, 1], "Linear3x3", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], 25.6, 12, 0.4, 0.8, 96, 4312, 0.2515);
        var pixels = new byte[64 * 48 * 3];
        new Random(3).NextBytes(pixels);
        var bytes = DermoscopyDicom.Create(series, series.Frames[0], pixels, ring, DermoscopyUids.Fresh());
        var path = Path.Combine(Path.GetTempPath(), $"dms-{Guid.NewGuid():N}.dcm");
        await File.WriteAllBytesAsync(path, bytes);
        try
        {
            // dicom3tools' validator knows the Dermoscopic Photography Image IOD: no errors (warnings are about DICOMDIR use).
            var (_, verdict) = await RunAsync("dciodvfy", path);
            Assert.DoesNotContain("Error", verdict, StringComparison.Ordinal);
            // The validator does check this IOD's own module: a wrong polarization is an error.
            var broken = (byte[])bytes.Clone();
            var at = broken.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(polarization + (polarization.Length % 2 == 1 ? " " : string.Empty)));
            broken[at + polarization.Length - 1] = (byte)'X';
            await File.WriteAllBytesAsync(path, broken);
            Assert.Contains("Light Source Polarization", (await RunAsync("dciodvfy", path)).Item2, StringComparison.Ordinal);
            await File.WriteAllBytesAsync(path, bytes);

            // And dcmtk reads back what the appliance knew.
            var (exit, dump) = await RunAsync("dcmdump", "+P", "0008,0016", "+P", "0008,0060", "+P", "0016,1001", "+P", "0028,0030", "+P", "0020,0060", "+P", "0010,0020", "+P", "0028,0011", "+P", "0016,1002", "+P", "0016,1005", path);
            Assert.Equal(0, exit);
            Assert.Contains("=DermoscopicPhotographyImageStorage", dump, StringComparison.Ordinal);
            Assert.Contains("[DMS]", dump, StringComparison.Ordinal);
            Assert.Contains($"[{polarization}]", dump, StringComparison.Ordinal);
            Assert.Matches(@"\[0\.03906[0-9]\\0\.03906[0-9]\]", dump); // 1 / 25.6 px/mm, from the calibration
            Assert.Contains("[L]", dump, StringComparison.Ordinal); // left forearm
            Assert.Contains("[TEST-PATIENT-9]", dump, StringComparison.Ordinal);
            Assert.Contains("US 64", dump, StringComparison.Ordinal);
            Assert.Contains("[4312]", dump, StringComparison.Ordinal); // emitter colour temperature, from the calibration
            Assert.Contains("[0.2515]", dump, StringComparison.Ordinal); // optical magnification, from the calibration
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<(int, string)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await o + await e);
    }
}
