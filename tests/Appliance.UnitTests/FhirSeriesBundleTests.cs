using Appliance.Host.Core;
using Appliance.Host.Core.Exports;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Hl7.Fhir.Model;

namespace Appliance.UnitTests;

public sealed class FhirSeriesBundleTests
{
    private static readonly DateTimeOffset Captured = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>When the bundle is made: the exporter's clock, not the wall clock.</summary>
    private static readonly DateTimeOffset MadeAt = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    private static FiledSeries Series(string patientId, ConsentRecord consent) => new(
        "s-1", "clinic-a-01", "job-1", "EP-ABCDEFGHJK", patientId, "left forearm", consent.Scope, Captured, Captured.AddSeconds(3), "0.1.0",
        "cal-1", 0, new QualityReport(true, [], 0.5, 0, 1, 0), new CameraSettings(64, 48, TimeSpan.FromMilliseconds(8), 1.0, 1.0, 1.0, 2.0),
        [new FiledFrame(0, LightingMode.CrossPolarised, 64, 48, "rgb24", "sha", "f0"), new FiledFrame(1, LightingMode.NonPolarised, 64, 48, "rgb24", "sha", "f1")],
        "L1", consent);

    private static readonly Dictionary<int, byte[]> Pngs = new() { [0] = [137, 80, 78, 71, 1], [1] = [137, 80, 78, 71, 2] };

    [Fact]
    public void AnNhsNumber_IsNamedAsOne_AndAParentsConsent_NamesARelatedPerson()
    {
        var consent = new ConsentRecord(ConsentGiver.ParentOrGuardian, ConsentForm.Written, ConsentScope.DirectCare, "nurse.jones", Captured);
        var bundle = RoundTrip(FhirSeriesBundle.Create(Series("943 476 5919", consent), Pngs, null, pseudonymised: false, MadeAt));

        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        Assert.Equal(MadeAt, bundle.Timestamp);
        Assert.Equal(FhirSeriesBundle.NhsNumberSystem, patient.Identifier[0].System);
        var person = bundle.Entry.Single(e => e.Resource is RelatedPerson);
        var fhirConsent = bundle.Entry.Select(e => e.Resource).OfType<Consent>().Single();
        Assert.Equal(person.FullUrl, fhirConsent.Performer.Single().Reference);
        Assert.Equal("written", Assert.IsType<Code>(fhirConsent.GetExtension(FhirSeriesBundle.ConsentFormExtension)?.Value).Value);
        Assert.DoesNotContain(fhirConsent.Provision!.Purpose, p => p.Code == "teaching");
        Assert.Equal(["cross-polarised contact dermoscopy", "non-polarised contact dermoscopy"], bundle.Entry.Select(e => e.Resource).OfType<Media>().Select(m => m.View!.Text));
    }

    [Fact]
    public void ATeachingBundle_NamesThePatientByEpisodeCodeOnly()
    {
        var consent = new ConsentRecord(ConsentGiver.Patient, ConsentForm.Verbal, ConsentScope.DirectCareAndTeaching, "nurse.jones", Captured);
        var json = FhirSeriesBundle.Serialize(FhirSeriesBundle.Create(Series("TEST-PATIENT-9", consent), Pngs, null, pseudonymised: true, MadeAt));

        Assert.DoesNotContain("TEST-PATIENT-9", json, StringComparison.Ordinal);
        var patient = FhirSeriesBundle.Parse(json).Entry.Select(e => e.Resource).OfType<Patient>().Single();
        Assert.Equal((FhirSeriesBundle.EpisodeSystem, "EP-ABCDEFGHJK"), (patient.Identifier[0].System, patient.Identifier[0].Value));
    }

    private static Bundle RoundTrip(Bundle bundle) => FhirSeriesBundle.Parse(FhirSeriesBundle.Serialize(bundle));
}
