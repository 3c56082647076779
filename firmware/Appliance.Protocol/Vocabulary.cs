using System.Text.Json.Serialization;

namespace Appliance.Protocol;

/// <summary>Which LED ring lit a frame; <see cref="Ambient"/>: none, the room's light (the overview).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LightingMode>))]
public enum LightingMode
{
    CrossPolarised,
    NonPolarised,
    Ambient,
}

/// <summary>
/// What a frame is for: one of the dermoscopic pair (the head in contact), or the overview taken
/// from 20–40 cm that shows where on the body the lesion is (a known landmark in view).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<FrameRole>))]
public enum FrameRole
{
    Dermoscopic,
    Overview,
}

/// <summary>The step of a job the appliance is waiting for or reporting on.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CaptureStep>))]
public enum CaptureStep
{
    /// <summary>The overview: the head held 20–40 cm away, the lesion and a landmark in view.</summary>
    Overview,

    /// <summary>The dermoscopic pair: the head on the lesion.</summary>
    Contact,
}

/// <summary>What the patient agreed the images may be used for (guidance Standard 1).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConsentScope>))]
public enum ConsentScope
{
    DirectCare,
    DirectCareAndTeaching,
}
