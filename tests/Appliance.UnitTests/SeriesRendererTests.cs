using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Host.Core;
using Appliance.Host.Core.Imaging;
using Appliance.Protocol;
using Appliance.TestKit;
using OpenCvSharp;

namespace Appliance.UnitTests;

/// <summary>The host's calibrated rendering, on a filed frame of the simulated target whose true colours are the sheet's.</summary>
public sealed class SeriesRendererTests
{
    private const int Width = 640, Height = 480;

    [Fact]
    public async Task ACalibratedFrame_ShowsTheTargetsTrueColours_AndTheOriginalIsUntouched()
    {
        var sheet = TargetSheet.Default();
        var optics = new SimulatedOptics { Seed = 5 };
        var (devicePrivate, _) = SeriesSigning.CreateKeyPair();
        var rings = new[] { LightingMode.CrossPolarised, LightingMode.NonPolarised }.Select(ring => CalibrationProfiles.ToRingProfile(ring, CalibrationFitter.Fit(
            SimulatedTarget.RenderWhite(optics, sheet, ring, Width, Height), SimulatedTarget.RenderTarget(optics, sheet, ring, Width, Height), Width, Height, sheet))).ToList();
        var profile = CalibrationProfiles.Create("clinic-a-01", sheet, rings, DateTimeOffset.UtcNow, TimeSpan.FromDays(30), devicePrivate);
        // A later capture of the target (other sensor noise), filed under that profile.
        var captured = SimulatedTarget.RenderTarget(optics with { Seed = 99 }, sheet, LightingMode.CrossPolarised, Width, Height);
        var renderer = new SeriesRenderer(await OneSeriesAsync(captured, profile.ProfileId), await ProfilesAsync(profile));

        var original = await renderer.RenderAsync("s-1", 0, calibrated: false, CancellationToken.None);
        var calibrated = await renderer.RenderAsync("s-1", 0, calibrated: true, CancellationToken.None);

        Assert.Equal(captured, original.Rgb24);
        Assert.Equal(profile.For(LightingMode.CrossPolarised)!.PixelsPerMillimetre, calibrated.PixelsPerMillimetre);
        var shown = LinearImage.FromRgb24(calibrated.Rgb24, Width, Height);
        var differences = sheet.HeldOutPatches.Select(p => DeltaE2000.Between(ColourSpaces.ToLab(Centre(shown, p)), p.Lab)).ToList();
        var before = sheet.HeldOutPatches.Select(p => DeltaE2000.Between(ColourSpaces.ToLab(Centre(LinearImage.FromRgb24(captured, Width, Height), p)), p.Lab)).Average();
        Assert.True(differences.Average() <= 2.0, $"calibrated frame: mean ΔE00 {differences.Average():F2} on held-out patches (was {before:F1})");
        Assert.True(differences.Max() <= 5.0, $"worst ΔE00 {differences.Max():F2}");
    }

    [Fact]
    public async Task WithoutTheSeriesProfile_OnlyTheOriginalIsShown()
    {
        var frame = new byte[Width * Height * 3];
        var renderer = new SeriesRenderer(await OneSeriesAsync(frame, "clinic-a-01-unknown"), await ProfilesAsync());
        Assert.False((await renderer.RenderAsync("s-1", 0, calibrated: false, CancellationToken.None)).Calibrated);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => renderer.RenderAsync("s-1", 0, calibrated: true, CancellationToken.None));
        Assert.Contains("does not hold", refused.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => renderer.RenderAsync("s-2", 0, calibrated: false, CancellationToken.None));
    }

    [Fact]
    public void Png_IsReadBackPixelForPixel_ByAnIndependentDecoder()
    {
        var sheet = TargetSheet.Default();
        var rgb = SimulatedTarget.RenderTarget(new SimulatedOptics(), sheet, LightingMode.NonPolarised, 320, 240);
        var png = PngEncoder.Encode(rgb, 320, 240);

        using var decoded = Cv2.ImDecode(png, ImreadModes.Color);
        Assert.Equal((320, 240), (decoded.Width, decoded.Height));
        for (var i = 0; i < 320 * 240; i += 997)
        {
            var bgr = decoded.At<Vec3b>(i / 320, i % 320);
            Assert.Equal((rgb[i * 3], rgb[(i * 3) + 1], rgb[(i * 3) + 2]), (bgr.Item2, bgr.Item1, bgr.Item0));
        }
    }

    private static LinearRgb Centre(LinearImage image, TargetPatch p)
    {
        var (cx, cy) = ((p.X0 + p.X1) / 2 * image.Width, (p.Y0 + p.Y1) / 2 * image.Height);
        return image.Mean((int)cx - 10, (int)cy - 10, (int)cx + 10, (int)cy + 10);
    }

    /// <summary>An archive holding one series, s-1, of one cross-polarised frame, corrected with <paramref name="calibrationId"/>.</summary>
    private static async Task<FakeSeriesArchive> OneSeriesAsync(byte[] frame, string calibrationId)
    {
        var archive = new FakeSeriesArchive();
        var series = new FiledSeries(
            "s-1", "clinic-a-01", "job-1", "EP-ABCDEFGHJK", "P-1", "back", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "0.1.0",
            calibrationId, 0, new QualityReport(true, [], 0.5, 0, 1, 0), new CameraSettings(Width, Height, TimeSpan.FromMilliseconds(8), 1.0, 1.0, 1.0, 2.0),
            [new FiledFrame(0, LightingMode.CrossPolarised, Width, Height, "rgb24", SeriesSealing.Sha256Hex(frame), string.Empty)]);
        await archive.FileAsync(series, (_, _) => Task.FromResult(frame.ToArray()), CancellationToken.None);
        return archive;
    }

    private static async Task<FakeCalibrationProfiles> ProfilesAsync(params CalibrationProfile[] profiles)
    {
        var kept = new FakeCalibrationProfiles();
        foreach (var profile in profiles)
        {
            await kept.AddProfileAsync(profile, CancellationToken.None);
        }

        return kept;
    }
}
