using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Host.Core;
using Appliance.Host.Core.Exports;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

/// <summary>
/// A job that asks for an overview, through the real host and the simulated appliance: the
/// appliance prompts for the overview, then for the head on the lesion; the host files all three
/// frames as one series, the overview as what the simulated overview camera saw; it is exported
/// as a DICOM VL Photographic Image (XC) in the same study as the dermoscopic images, with the
/// laterality and the anatomic region, valid to dciodvfy; and a teaching copy leaves it out.
/// </summary>
public sealed class OverviewEndToEndTests
{
    [Fact]
    public async Task AnOverviewJob_IsThreeStepsAtTheAppliance_FiledAsOneSeries_AndTheOverviewIsExportedAsVlPhotographic()
    {
        using var folder = new TempFolder("overview");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var fleet = suite.HostService<FleetState>();
        var request = CaptureJobRequest.WithVerbalConsent(suite.DeviceId, "TEST-PATIENT-OV", "left forearm", ConsentScope.DirectCareAndTeaching) with { Overview = true };
        // Subscribed before the job exists: the armed status can come back before CreateAsync returns.
        var waitingForOverview = StepReported(fleet, suite.DeviceId, CaptureStep.Overview);
        var job = await suite.HostService<CaptureJobService>().CreateAsync(request, "test", CancellationToken.None);
        Assert.Equal(job.JobId, (await waitingForOverview.WaitAsync(TimeSpan.FromSeconds(30))).JobId);

        var waitingForContact = StepReported(fleet, suite.DeviceId, CaptureStep.Contact);
        suite.PressButton();
        Assert.Equal(job.JobId, (await waitingForContact.WaitAsync(TimeSpan.FromSeconds(30))).JobId);
        var filed = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;

        var archive = suite.HostService<ISeriesArchive>();
        var series = (await archive.FindAsync(filed.SeriesId, CancellationToken.None))!;
        Assert.Equal([false, false, true], series.Frames.Select(f => f.IsOverview));
        var overview = series.Overview!;
        var settings = suite.ApplianceService<IOptions<OverviewOptions>>().Value;
        Assert.Equal((LightingMode.Ambient, settings.Width, settings.Height), (overview.Lighting, overview.Width, overview.Height));
        Assert.True(series.OverviewQuality!.Accepted);
        var truth = SimulatedOverviewCamera.Render(suite.ApplianceService<SimulatedOverviewCamera>().Scene, settings.Width, settings.Height, moved: false);
        Assert.Equal(truth.Pixels, await archive.ReadFrameAsync(series.SeriesId, overview.Index, CancellationToken.None));

        var exporter = suite.HostService<SeriesExporter>();
        var dicom = await exporter.ExportAsync(series.SeriesId, ExportFormat.Dicom, ExportPurpose.DirectCare, folder.Combine("dicom"), "dr.lee", CancellationToken.None);
        var overviewFile = dicom.Single(f => f.EndsWith($"-{overview.Index}.dcm", StringComparison.Ordinal));
        var (exit, verdict) = await ExternalTool.RunAsync("dciodvfy", null, overviewFile);
        Assert.True(exit == 0 && !verdict.Contains("Error", StringComparison.Ordinal), verdict);
        var dump = (await ExternalTool.RunAsync("dcmdump", null, "-Un", "+P", "0008,0016", "+P", "0008,0060", "+P", "0020,0062", "+P", "0020,0011", "+P", "0008,0100", "+P", "0020,000d", "+P", "0020,000e", overviewFile)).Output;
        Assert.Contains(OverviewDicom.SopClassUid, dump, StringComparison.Ordinal);
        Assert.Contains("[XC]", dump, StringComparison.Ordinal);
        Assert.Contains("[L]", dump, StringComparison.Ordinal);
        Assert.Contains("[14975008]", dump, StringComparison.Ordinal); // forearm
        Assert.Matches(@"\(0020,0011\) IS \[3\]", dump); // series 1 is the pair's, 2 the measurement report's
        var pairDump = (await ExternalTool.RunAsync("dcmdump", null, "+P", "0020,000d", "+P", "0020,000e", dicom.Single(f => f.EndsWith("-0.dcm", StringComparison.Ordinal)))).Output;
        Assert.Equal(Uids(dump)[0], Uids(pairDump)[0]); // the same study
        Assert.NotEqual(Uids(dump)[1], Uids(pairDump)[1]); // its own series: one modality per series

        // A teaching copy leaves the overview out until staff confirm it shows nothing that identifies the patient.
        var teaching = await exporter.ExportAsync(series.SeriesId, ExportFormat.Png, ExportPurpose.Teaching, folder.Combine("teaching"), "dr.lee", CancellationToken.None);
        Assert.DoesNotContain(teaching, f => f.Contains($"-{overview.Index}-", StringComparison.Ordinal));
        Assert.Contains(teaching, f => f.EndsWith("-0-original.png", StringComparison.Ordinal));
        Assert.Equal(Appliance.Host.Core.Filing.ImageRisk.High, series.OverviewRisk); // unreviewed counts as high

        var reviews = suite.HostService<Appliance.Host.Core.Filing.OverviewReviewService>();
        await Assert.ThrowsAsync<Appliance.Host.Core.Filing.OverviewReviewRefusedException>(() => reviews.ReviewAsync(series.SeriesId, true, " ", "nurse.a", CancellationToken.None));
        await reviews.ReviewAsync(series.SeriesId, false, null, "nurse.a", CancellationToken.None);
        var reviewed = await exporter.ExportAsync(series.SeriesId, ExportFormat.Png, ExportPurpose.Teaching, folder.Combine("teaching-reviewed"), "dr.lee", CancellationToken.None);
        Assert.Contains(reviewed, f => f.EndsWith($"-{overview.Index}-original.png", StringComparison.Ordinal));
        Assert.Equal(Appliance.Host.Core.Filing.ImageRisk.Medium, (await archive.FindAsync(series.SeriesId, CancellationToken.None))!.OverviewRisk);
    }

    internal static Task<ApplianceStatus> StepReported(FleetState fleet, string deviceId, CaptureStep step) =>
        EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.DeviceId == deviceId && s.State == ApplianceState.Armed && s.Step == step);

    private static string[] Uids(string dump) =>
        [.. System.Text.RegularExpressions.Regex.Matches(dump, @"UI \[([0-9.]+)\]").Select(m => m.Groups[1].Value).Where(u => u.StartsWith("2.25.", StringComparison.Ordinal))];
}
