using System.Text.Json;
using Appliance.Demo;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core;
using Appliance.Host.Core.Exports;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

public sealed class SeriesExportTests
{
    [Fact]
    public async Task ASeries_ExportsAsValidDicom_AndAsPngWithASidecar_AndTeachingNeedsConsentAndHidesThePatient()
    {
        using var folder = new TempFolder("export");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        var exporter = suite.HostService<SeriesExporter>();
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-EX", "right shin", ConsentScope.DirectCare, CancellationToken.None);
        var careOnly = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-EX", "right shin", ConsentScope.DirectCareAndTeaching, CancellationToken.None);
        var teachable = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;

        var dicom = await exporter.ExportAsync(careOnly.SeriesId, ExportFormat.Dicom, ExportPurpose.DirectCare, folder.Combine("dicom"), "dr.lee", CancellationToken.None);
        Assert.Equal(3, dicom.Count); // a Dermoscopic Photography Image per frame, and the measurement report
        foreach (var file in dicom)
        {
            var (exit, verdict) = await RunWithExitAsync("dciodvfy", file);
            Assert.True(exit == 0, verdict);
            Assert.DoesNotContain("Error", verdict, StringComparison.Ordinal);
            var dump = await RunAsync("dcmdump", "+P", "0010,0020", "+P", "0020,000d", file);
            Assert.Contains("[TEST-PATIENT-EX]", dump, StringComparison.Ordinal);
        }

        // The images carry the laterality; the report, in the same study, measures the cross-polarised one.
        var reportFile = dicom.Single(f => f.EndsWith("-measurements.dcm", StringComparison.Ordinal));
        string? crossPolarisedUid = null;
        foreach (var file in dicom.Where(f => f != reportFile))
        {
            var dump = await RunAsync("dcmdump", "+P", "0020,0060", "+P", "0016,1001", "+P", "0008,0018", file);
            Assert.Contains("[R]", dump, StringComparison.Ordinal);
            crossPolarisedUid = dump.Contains("[POLARIZED]", StringComparison.Ordinal) ? UidIn(dump) : crossPolarisedUid;
        }

        var report = await RunAsync("dcmdump", reportFile);
        Assert.Contains("=ComprehensiveSRStorage", report, StringComparison.Ordinal);
        Assert.Contains("[Imaging Measurement Report]", report, StringComparison.Ordinal);
        Assert.Contains("[42798000]", report, StringComparison.Ordinal); // Area
        Assert.Contains("[103339001]", report, StringComparison.Ordinal); // Long Axis
        Assert.Contains("[POLYLINE]", report, StringComparison.Ordinal);
        Assert.NotNull(crossPolarisedUid);
        Assert.Contains($"[{crossPolarisedUid}]", report, StringComparison.Ordinal);

        // The control: the validator does fail a broken file (here, the first one cut in half).
        var broken = folder.Combine("broken.dcm");
        var bytes = await File.ReadAllBytesAsync(dicom[0]);
        await File.WriteAllBytesAsync(broken, bytes[..(bytes.Length / 2)]);
        var (brokenExit, brokenVerdict) = await RunWithExitAsync("dciodvfy", broken);
        Assert.True(brokenExit != 0 || brokenVerdict.Contains("Error", StringComparison.Ordinal), brokenVerdict);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => exporter.ExportAsync(careOnly.SeriesId, ExportFormat.Png, ExportPurpose.Teaching, folder.Combine("teaching-refused"), "dr.lee", CancellationToken.None));
        Assert.Contains("did not consent to teaching", refused.Message);
        Assert.False(Directory.Exists(folder.Combine("teaching-refused")));

        var png = await exporter.ExportAsync(teachable.SeriesId, ExportFormat.Png, ExportPurpose.Teaching, folder.Combine("teaching"), "dr.lee", CancellationToken.None);
        Assert.Equal(5, png.Count); // two frames, original and calibrated, and the sidecar
        var sidecar = await File.ReadAllTextAsync(png.Single(p => p.EndsWith(".json", StringComparison.Ordinal)));
        Assert.DoesNotContain("TEST-PATIENT-EX", sidecar, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(sidecar);
        Assert.Equal(teachable.EpisodeCode, document.RootElement.GetProperty("patientId").GetString());
        Assert.Equal(teachable.CalibrationId, document.RootElement.GetProperty("calibration").GetProperty("profileId").GetString());
        Assert.All(png.Where(p => p.EndsWith(".png", StringComparison.Ordinal)), p => Assert.Equal([137, 80, 78, 71], File.ReadAllBytes(p)[..4]));

        // FHIR: the bundle parses back with Firely's R4 model, holds the patient, a Media per frame with its PNG, and the consent.
        var fhirFile = Assert.Single(await exporter.ExportAsync(teachable.SeriesId, ExportFormat.Fhir, ExportPurpose.DirectCare, folder.Combine("fhir"), "dr.lee", CancellationToken.None));
        var bundle = FhirSeriesBundle.Parse(await File.ReadAllTextAsync(fhirFile));
        var patient = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Patient>());
        Assert.Equal("TEST-PATIENT-EX", Assert.Single(patient.Identifier).Value);
        var media = bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Media>().ToList();
        Assert.Equal(2, media.Count);
        Assert.All(media, m =>
        {
            Assert.Equal("image/png", m.Content!.ContentType);
            Assert.Equal([137, 80, 78, 71], m.Content.Data![..4]);
            Assert.Equal(bundle.Entry[0].FullUrl, m.Subject!.Reference);
            Assert.Equal("right shin", m.BodySite!.Text);
        });
        Assert.Contains(media, m => m.View!.Text!.StartsWith("cross-polarised", StringComparison.Ordinal));
        // The lesion as measured on the calibrated cross-polarised frame: area, longest diameter and colour, each derived from that frame's Media.
        var observations = bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Observation>().ToDictionary(o => o.Code.Coding[0].Code!);
        Assert.Equal(["area", "longest-diameter", "mean-colour-cielab"], observations.Keys.Order());
        var crossPolarisedUrl = bundle.Entry.Single(e => e.Resource is Hl7.Fhir.Model.Media m && m.View!.Text!.StartsWith("cross-polarised", StringComparison.Ordinal)).FullUrl;
        Assert.All(observations.Values, o => Assert.Equal(crossPolarisedUrl, Assert.Single(o.DerivedFrom).Reference));
        var area = Assert.IsType<Hl7.Fhir.Model.Quantity>(observations["area"].Value);
        Assert.Equal(("mm2", FhirSeriesBundle.Ucum), (area.Code!, area.System!));
        // The simulated camera's lesion: a blot of mean radius 18 % of the frame's height, on a field whose scale the calibration measured.
        var ppm = document.RootElement.GetProperty("calibration").GetProperty("rings").EnumerateArray().First().GetProperty("pixelsPerMillimetre").GetDouble();
        var nominal = Math.PI * Math.Pow(0.18 * teachable.Frames[0].Height / ppm, 2);
        Assert.InRange((double)area.Value!.Value, nominal * 0.8, nominal * 1.25);
        Assert.Equal(3, observations["mean-colour-cielab"].Component.Count);
        Assert.Equal((double)area.Value.Value, document.RootElement.GetProperty("lesion").GetProperty("areaMm2").GetDouble(), 1);
        var consent = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Consent>());
        Assert.Equal(Hl7.Fhir.Model.Consent.ConsentState.Active, consent.Status);
        Assert.Contains(consent.Provision!.Purpose, p => p.Code == "teaching");
        Assert.Equal(2, consent.Provision.Data.Count);
        // A damaged bundle does not parse: the check can fail.
        var damaged = (await File.ReadAllTextAsync(fhirFile)).Replace("\"resourceType\": \"Media\"", "\"resourceType\": \"Medium\"", StringComparison.Ordinal);
        Assert.NotEqual(await File.ReadAllTextAsync(fhirFile), damaged);
        Assert.ThrowsAny<Exception>(() => FhirSeriesBundle.Parse(damaged));

        // The patient withdraws consent: the series stays for their care, but never again goes out for teaching.
        var withdrawn = await suite.HostService<ConsentWithdrawalService>().WithdrawAsync(teachable.SeriesId, "nurse.jones", "patient asked by phone", CancellationToken.None);
        Assert.NotNull(withdrawn?.ConsentWithdrawn);
        var afterWithdrawal = await Assert.ThrowsAsync<InvalidOperationException>(() => exporter.ExportAsync(teachable.SeriesId, ExportFormat.Dicom, ExportPurpose.Teaching, folder.Combine("teaching-withdrawn"), "dr.lee", CancellationToken.None));
        Assert.Contains("consent was withdrawn", afterWithdrawal.Message);
        Assert.False(Directory.Exists(folder.Combine("teaching-withdrawn")));
        Assert.NotNull((await suite.HostService<ISeriesArchive>().FindAsync(teachable.SeriesId, CancellationToken.None))!.ConsentWithdrawn);
        Assert.Equal(3, (await exporter.ExportAsync(teachable.SeriesId, ExportFormat.Dicom, ExportPurpose.DirectCare, folder.Combine("care-after-withdrawal"), "dr.lee", CancellationToken.None)).Count);
        var afterFhir = Assert.Single(await exporter.ExportAsync(teachable.SeriesId, ExportFormat.Fhir, ExportPurpose.DirectCare, folder.Combine("fhir-after-withdrawal"), "dr.lee", CancellationToken.None));
        var withdrawnConsent = FhirSeriesBundle.Parse(await File.ReadAllTextAsync(afterFhir)).Entry.Select(e => e.Resource).OfType<Hl7.Fhir.Model.Consent>().Single();
        Assert.Equal(Hl7.Fhir.Model.Consent.ConsentState.Inactive, withdrawnConsent.Status);
        Assert.NotNull(withdrawnConsent.Provision!.Period?.End);
        var trail = suite.HostService<IAuditTrail>().ReadAll();
        Assert.Single(trail, e => e.Kind == AuditKinds.ConsentWithdrawn && e.Subject == teachable.SeriesId && e.Actor == "nurse.jones");

        var exports = trail.Where(e => e.Kind == AuditKinds.SeriesExported).ToList();
        Assert.Equal(5, exports.Count); // the refused ones are not exports
        Assert.Contains(exports, e => e.Subject == teachable.SeriesId && e.Details.Contains("Teaching", StringComparison.Ordinal));
    }

    private static async Task<string> RunAsync(string file, params string[] arguments) => (await RunWithExitAsync(file, arguments)).Output;

    /// <summary>The first UID in a dcmdump line's brackets.</summary>
    private static string UidIn(string dump) => System.Text.RegularExpressions.Regex.Match(dump, @"UI \[([0-9.]+)\]").Groups[1].Value;

    private static Task<(int Exit, string Output)> RunWithExitAsync(string file, params string[] arguments) => ExternalTool.RunAsync(file, null, arguments);
}
