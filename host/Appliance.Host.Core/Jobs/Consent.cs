using System.Text.Json.Serialization;
using Appliance.Protocol;

namespace Appliance.Host.Core.Jobs;

/// <summary>Who agreed to the photographs: the patient, or someone entitled to decide for them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConsentGiver>))]
public enum ConsentGiver
{
    Patient,
    ParentOrGuardian,
    LegalRepresentative,
}

/// <summary>How consent was given: said aloud and noted, or signed on a form.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConsentForm>))]
public enum ConsentForm
{
    Verbal,
    Written,
}

/// <summary>
/// The consent a capture job rests on (guidance Standard 1): who gave it, how, for what, and
/// which member of staff recorded it when. No job is created without one.
/// </summary>
public sealed record ConsentRecord(
    ConsentGiver GivenBy,
    ConsentForm Form,
    ConsentScope Scope,
    string RecordedBy = "",
    DateTimeOffset RecordedAt = default)
{
    public string Describe() =>
        $"{Form.ToString().ToLowerInvariant()} consent from {GiverText(GivenBy)} for {ScopeText(Scope)}";

    public static string ScopeText(ConsentScope scope) =>
        scope == ConsentScope.DirectCareAndTeaching ? "direct care and teaching" : "direct care only";

    public static string GiverText(ConsentGiver giver) => giver switch
    {
        ConsentGiver.ParentOrGuardian => "a parent or guardian",
        ConsentGiver.LegalRepresentative => "a legal representative",
        _ => "the patient",
    };
}

/// <summary>
/// A withdrawal of consent, recorded by staff when the patient (or whoever consented) asks.
/// The images stay in the record for the care already given, but are marked and never again
/// leave the host for teaching.
/// </summary>
public sealed record ConsentWithdrawal(DateTimeOffset WithdrawnAt, string RecordedBy, string? Note = null);

/// <summary>What clinic staff ask for when they create a capture job.</summary>
public sealed record CaptureJobRequest(
    string DeviceId,
    string PatientId,
    string BodySite,
    ConsentRecord Consent,
    string? LesionLabel = null,
    DateOnly? DateOfBirth = null,
    bool IntimateSiteConfirmed = false,
    BodyMapMark? Mark = null,
    bool Overview = false)
{
    /// <summary>A request for tests and tools: verbal consent from the patient.</summary>
    public static CaptureJobRequest WithVerbalConsent(string deviceId, string patientId, string bodySite, ConsentScope scope, string? lesionLabel = null) =>
        new(deviceId, patientId, bodySite, new ConsentRecord(ConsentGiver.Patient, ConsentForm.Verbal, scope), lesionLabel);
}
