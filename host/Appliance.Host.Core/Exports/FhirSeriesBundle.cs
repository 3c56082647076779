using System.Globalization;
using System.Text.Json;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Appliance.Host.Core.Exports;

/// <summary>
/// A filed series as a FHIR R4 <c>collection</c> bundle: the Patient (by identifier only), one
/// Media per frame with its PNG, the ring in <c>view</c> and the scale and calibration in a note,
/// and the Consent the capture rested on (inactive once withdrawn), with a RelatedPerson when
/// someone other than the patient gave it; and the lesion's measurements on the calibrated
/// cross-polarised frame as Observations (area, longest diameter, mean CIELAB colour), each
/// derived from that frame's Media. Built with Firely's R4 model, so what is written is what the
/// SDK can read back.
/// </summary>
public static class FhirSeriesBundle
{
    public const string NhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
    public const string LocalPatientSystem = "urn:appliance-suite:patient-id";
    public const string EpisodeSystem = "urn:appliance-suite:episode";
    public const string FrameSystem = "urn:appliance-suite:series-frame";
    public const string ConsentFormExtension = "urn:appliance-suite:fhir:consent-form";
    public const string PurposeSystem = "urn:appliance-suite:consent-purpose";
    public const string LesionMeasureSystem = "urn:appliance-suite:lesion-measure";
    public const string Ucum = "http://unitsofmeasure.org";

    private static readonly JsonSerializerOptions Json = new JsonSerializerOptions { WriteIndented = true }.ForFhir(ModelInfo.ModelInspector);

    /// <param name="frames">Each frame's PNG, by frame index.</param>
    /// <param name="pseudonymised">For teaching: the patient is named by the episode code alone.</param>
    /// <param name="madeAt">When the bundle is made (its timestamp), from the caller's clock.</param>
    /// <param name="lesion">The lesion as measured on the calibrated cross-polarised frame; null when it could not be.</param>
    public static Bundle Create(
        FiledSeries series, IReadOnlyDictionary<int, byte[]> frames, CalibrationProfile? profile, bool pseudonymised, DateTimeOffset madeAt, Imaging.LesionMeasure? lesion = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(frames);
        var patientUrl = Urn();
        var patient = new Patient
        {
            Identifier = [pseudonymised
                ? new Identifier(EpisodeSystem, series.EpisodeCode)
                : new Identifier(PatientIdentifiers.IsNhsNumber(series.PatientId) ? NhsNumberSystem : LocalPatientSystem, series.PatientId)],
        };
        var bundle = new Bundle { Type = Bundle.BundleType.Collection, Timestamp = madeAt, Identifier = new Identifier("urn:appliance-suite:series", series.SeriesId) };
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = patientUrl, Resource = patient });

        var mediaUrls = new List<string>();
        foreach (var frame in series.Frames)
        {
            var url = Urn();
            mediaUrls.Add(url);
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = url, Resource = CreateMedia(series, frame, frames[frame.Index], profile?.For(frame.Lighting), patientUrl) });
        }

        if (lesion is not null && series.Frames.Select((f, i) => (f, i)).FirstOrDefault(p => p.f.Lighting == LightingMode.CrossPolarised) is { f: not null } measured)
        {
            foreach (var observation in LesionObservations(series, lesion, patientUrl, mediaUrls[measured.i]))
            {
                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = Urn(), Resource = observation });
            }
        }

        var (consent, relatedPerson) = CreateConsent(series, patientUrl, mediaUrls);
        if (relatedPerson is not null)
        {
            bundle.Entry.Add(relatedPerson);
        }

        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = Urn(), Resource = consent });
        return bundle;
    }

    public static string Serialize(Bundle bundle) => JsonSerializer.Serialize(bundle, Json);

    /// <exception cref="DeserializationFailedException">when the text is not a valid FHIR R4 bundle.</exception>
    public static Bundle Parse(string json) => JsonSerializer.Deserialize<Bundle>(json, Json)
        ?? throw new JsonException("the document is empty");

    private static Media CreateMedia(FiledSeries series, FiledFrame frame, byte[] png, RingProfile? ring, string patientUrl)
    {
        var ringName = frame.IsOverview ? "overview" : frame.Lighting == LightingMode.CrossPolarised ? "cross-polarised" : "non-polarised";
        var media = new Media
        {
            Identifier = [new Identifier(FrameSystem, $"{series.SeriesId}/{frame.Index}")],
            Status = EventStatus.Completed,
            Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/media-type", "image", "Image"),
            Modality = frame.IsOverview
                ? new CodeableConcept("http://dicom.nema.org/resources/ontology/DCM", "XC", "External-camera Photography")
                : new CodeableConcept("http://dicom.nema.org/resources/ontology/DCM", "DMS", "Dermoscopy"),
            View = new CodeableConcept { Text = frame.IsOverview ? "overview from 20-40 cm: the lesion and an anatomical landmark, in the room's light" : $"{ringName} contact dermoscopy" },
            Subject = new ResourceReference(patientUrl),
            Created = new FhirDateTime(series.CapturedAt),
            Issued = series.FiledAt,
            BodySite = new CodeableConcept { Text = series.BodySite },
            DeviceName = series.DeviceId,
            Height = frame.Height,
            Width = frame.Width,
            Frames = 1,
            Content = new Attachment
            {
                ContentType = "image/png",
                Data = png,
                Title = $"{series.SeriesId} frame {frame.Index} ({ringName}, original pixels)",
#pragma warning disable CA5350 // FHIR R4 defines Attachment.hash as SHA-1: a checksum for the receiver, not a security control.
                Hash = System.Security.Cryptography.SHA1.HashData(png),
#pragma warning restore CA5350
                // No Size: Firely 6.8 writes it as a JSON string (integer64, as in R5), which its own R4 parser refuses.
            },
        };
        media.Note.Add(new Annotation
        {
            Text = frame.IsOverview
                ? "Overview: not calibrated (taken by the overview camera in the room's light); for where the lesion is, not for its colour or size."
                : ring is null
                ? $"Calibration {series.CalibrationId} is not held by the host: no scale or colour correction."
                : string.Create(CultureInfo.InvariantCulture, $"Calibration {series.CalibrationId}: {ring.PixelsPerMillimetre:0.###} px/mm; CIEDE2000 on held-out patches {ring.DeltaEMeanAfter:0.00} mean, {ring.DeltaEMaxAfter:0.00} worst. Pixels are as captured; the host renders the calibrated view."),
        });
        if (series.LesionLabel is not null)
        {
            media.ReasonCode.Add(new CodeableConcept { Text = $"lesion {series.LesionLabel}" });
        }

        return media;
    }

    /// <summary>
    /// Area (mm²), longest diameter (mm) and mean colour (CIELAB L*, a*, b* under D65, as
    /// components): no LOINC or SNOMED CT code names a skin lesion's area or colour measured on a
    /// dermoscopic image, so each is coded in our own system with its text, and its units in UCUM.
    /// </summary>
    private static IEnumerable<Observation> LesionObservations(FiledSeries series, Imaging.LesionMeasure lesion, string patientUrl, string mediaUrl)
    {
        Observation Make(string code, string text)
        {
            var observation = new Observation
            {
                Status = ObservationStatus.Final,
                Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "imaging", "Imaging")],
                Code = new CodeableConcept(LesionMeasureSystem, code, text) { Text = text },
                Subject = new ResourceReference(patientUrl),
                Effective = new FhirDateTime(series.CapturedAt),
                BodySite = new CodeableConcept { Text = series.LesionLabel is null ? series.BodySite : $"{series.BodySite}, lesion {series.LesionLabel}" },
                Method = new CodeableConcept { Text = "Outline by Otsu's threshold on calibrated L* (the centre component, holes filled), on the cross-polarised frame" },
                DerivedFrom = [new ResourceReference(mediaUrl)],
            };
            observation.Note.Add(new Annotation { Text = $"Under calibration {series.CalibrationId} of {series.DeviceId}." });
            return observation;
        }

        var area = Make("area", "Lesion area");
        area.Value = new Quantity((decimal)Math.Round(lesion.AreaMm2, 2), "mm2", Ucum) { Unit = "mm²" };
        yield return area;
        var diameter = Make("longest-diameter", "Lesion longest diameter");
        diameter.Value = new Quantity((decimal)Math.Round(lesion.LongestDiameterMm, 2), "mm", Ucum) { Unit = "mm" };
        yield return diameter;
        var colour = Make("mean-colour-cielab", "Lesion mean colour, CIELAB (D65)");
        foreach (var (code, value) in new[] { ("L", lesion.MeanColour.L), ("a", lesion.MeanColour.A), ("b", lesion.MeanColour.B) })
        {
            colour.Component.Add(new Observation.ComponentComponent
            {
                Code = new CodeableConcept(LesionMeasureSystem, $"cielab-{code}", $"CIELAB {code}*"),
                Value = new Quantity((decimal)Math.Round(value, 2), "1", Ucum),
            });
        }

        yield return colour;
    }

    private static (Consent Consent, Bundle.EntryComponent? RelatedPerson) CreateConsent(FiledSeries series, string patientUrl, List<string> mediaUrls)
    {
        var record = series.Consent;
        var consent = new Consent
        {
            Status = series.ConsentWithdrawn is null ? Consent.ConsentState.Active : Consent.ConsentState.Inactive,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "treatment", "Treatment"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0", "Patient Consent")],
            Patient = new ResourceReference(patientUrl),
            DateTime = (record?.RecordedAt ?? series.CapturedAt).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            PolicyRule = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in"),
            Provision = new Consent.provisionComponent
            {
                Type = Consent.ConsentProvisionType.Permit,
                Period = series.ConsentWithdrawn is { } withdrawn ? new Period { End = withdrawn.WithdrawnAt.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture) } : null,
                Purpose = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT", "treatment")],
                Data = [.. mediaUrls.Select(url => new Consent.provisionDataComponent { Meaning = Consent.ConsentDataMeaning.Instance, Reference = new ResourceReference(url) })],
            },
        };
        if (series.ConsentScope == ConsentScope.DirectCareAndTeaching)
        {
            consent.Provision.Purpose.Add(new Coding(PurposeSystem, "teaching", "teaching and education"));
        }

        if (record is null)
        {
            return (consent, null);
        }

        consent.Extension.Add(new Extension(ConsentFormExtension, new Code(record.Form == ConsentForm.Written ? "written" : "verbal")));
        if (record.GivenBy == ConsentGiver.Patient)
        {
            consent.Performer.Add(new ResourceReference(patientUrl));
            return (consent, null);
        }

        var personUrl = Urn();
        consent.Performer.Add(new ResourceReference(personUrl));
        var person = new RelatedPerson
        {
            Patient = new ResourceReference(patientUrl),
            Relationship = [new CodeableConcept { Text = ConsentRecord.GiverText(record.GivenBy) }],
        };
        return (consent, new Bundle.EntryComponent { FullUrl = personUrl, Resource = person });
    }

    private static string Urn() => $"urn:uuid:{Guid.NewGuid()}";
}
