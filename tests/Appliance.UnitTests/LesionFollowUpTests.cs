using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Host.Core;
using Appliance.Host.Core.Imaging;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestKit;

namespace Appliance.UnitTests;

/// <summary>
/// The host's follow-up chain on a filed series: a lesion rendered through a camera, filed, the
/// appliance's profile fitted on the same camera's cards, measured on the calibrated frame
/// against the lesion's true area; and a visit whose frames cannot be read (released, the PACS
/// away) says so instead of failing the series page that lists it.
/// </summary>
public sealed class LesionFollowUpTests
{
    private const int Width = 640, Height = 480;

    [Fact]
    public async Task AFiledLesion_IsMeasuredOnItsCalibratedFrame_InTrueMillimetres()
    {
        var (followUp, lesion, optics, archive) = await FileOneAsync();

        var visit = await followUp.MeasureAsync((await archive.FindAsync("s-1", CancellationToken.None))!, CancellationToken.None);

        Assert.Null(visit.NotMeasured);
        Assert.InRange(visit.Measure!.AreaMm2 / lesion.AreaMm2(), 0.97, 1.03);
        Assert.InRange(visit.Frame!.PixelsPerMillimetre!.Value / optics.PixelsPerMillimetre(Width), 0.99, 1.01);
    }

    [Fact]
    public async Task AVisitWhoseFramesCannotBeRead_IsListedAsNotMeasured_WithTheReason()
    {
        var (followUp, _, _, archive) = await FileOneAsync();
        await archive.ReleaseFramesAsync("s-1", CancellationToken.None);

        var visits = await followUp.HistoryAsync((await archive.FindAsync("s-1", CancellationToken.None))!, CancellationToken.None);

        var visit = Assert.Single(visits);
        Assert.Null(visit.Measure);
        Assert.StartsWith("its frame could not be read", visit.NotMeasured, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoVisitsComparedAgain_ReuseTheirRegistration_WhichLaysTheSecondOnTheFirst()
    {
        var (followUp, _, _, _) = await FileOneAsync(secondVisit: new HeadPlacement(-0.4, 0.2, 18));

        var first = await followUp.CompareAsync("s-1", "s-2", CancellationToken.None);
        // The overlay image asks for the same pair the page has just shown.
        var again = await followUp.CompareAsync("s-1", "s-2", CancellationToken.None);

        Assert.InRange(first.Registration.Transform.RotationDegrees, 8 - 1, 8 + 1); // the head turned 8° between visits
        Assert.Same(first.Registration, again.Registration); // not registered twice
        Assert.Equal(first.RegisteredSecond, again.RegisteredSecond);
        Assert.NotSame(first.Registration, (await followUp.CompareAsync("s-2", "s-1", CancellationToken.None)).Registration);
    }

    [Fact]
    public void RecentRegistrations_KeepTheNewestPairs_AndRegisterAPairDroppedAgain()
    {
        var recent = new RecentRegistrations(capacity: 2);
        var calls = 0;
        Registration Fit()
        {
            calls++;
            return new Registration(new SimilarityTransform(1, calls, 0, 0, 0, 0), 0, 1);
        }

        var ab = recent.GetOrAdd("a", "b", Fit);
        Assert.Same(ab, recent.GetOrAdd("a", "b", Fit));
        recent.GetOrAdd("c", "d", Fit);
        Assert.Same(ab, recent.GetOrAdd("a", "b", Fit)); // used last: kept
        recent.GetOrAdd("e", "f", Fit); // drops c–d, the least recently used
        Assert.Equal(3, calls);
        Assert.Same(ab, recent.GetOrAdd("a", "b", Fit));
        recent.GetOrAdd("c", "d", Fit);
        Assert.Equal(4, calls);
    }

    private static async Task<(LesionFollowUp FollowUp, SimulatedLesion Lesion, SimulatedOptics Optics, FakeSeriesArchive Archive)> FileOneAsync(HeadPlacement? secondVisit = null)
    {
        var sheet = TargetSheet.Default();
        var optics = new SimulatedOptics { Seed = 21, FieldOfViewMillimetres = 24.0 };
        var (devicePrivate, _) = SeriesSigning.CreateKeyPair();
        var ring = CalibrationProfiles.ToRingProfile(LightingMode.CrossPolarised, CalibrationFitter.Fit(
            SimulatedTarget.RenderWhite(optics, sheet, LightingMode.CrossPolarised, Width, Height),
            SimulatedTarget.RenderTarget(optics, sheet, LightingMode.CrossPolarised, Width, Height), Width, Height, sheet));
        var profile = CalibrationProfiles.Create("clinic-a-01", sheet, [ring], DateTimeOffset.UtcNow, TimeSpan.FromDays(30), devicePrivate);
        var profiles = new FakeCalibrationProfiles();
        await profiles.AddProfileAsync(profile, CancellationToken.None);

        var lesion = SimulatedLesion.Draw(new Random(8));
        var frame = SimulatedLesionScene.Render(lesion, optics, new HeadPlacement(0.5, -0.3, 10), Width, Height);
        var archive = new FakeSeriesArchive();
        var series = new FiledSeries(
            "s-1", "clinic-a-01", "job-1", "EP-ABCDEFGHJK", "P-1", "back", ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "0.1.0",
            profile.ProfileId, 0, new QualityReport(true, [], 0.5, 0, 1, 0), new CameraSettings(Width, Height, TimeSpan.FromMilliseconds(8), 1.0, 1.0, 1.0, 2.0),
            [new FiledFrame(0, LightingMode.CrossPolarised, Width, Height, "rgb24", SeriesSealing.Sha256Hex(frame), string.Empty)], LesionLabel: "L1");
        await archive.FileAsync(series, (_, _) => Task.FromResult(frame.ToArray()), CancellationToken.None);
        if (secondVisit is { } placement)
        {
            var later = SimulatedLesionScene.Render(lesion, optics, placement, Width, Height);
            await archive.FileAsync(
                series with { SeriesId = "s-2", JobId = "job-2", Frames = [series.Frames[0] with { Sha256 = SeriesSealing.Sha256Hex(later) }] },
                (_, _) => Task.FromResult(later.ToArray()),
                CancellationToken.None);
        }

        return (new LesionFollowUp(archive, new SeriesRenderer(archive, profiles), profiles, new FakeAuditTrail()), lesion, optics, archive);
    }
}
