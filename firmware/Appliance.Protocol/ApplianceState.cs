using System.Text.Json.Serialization;

namespace Appliance.Protocol;

/// <summary>
/// What an appliance says it is doing (<see cref="ApplianceStatus.State"/>). On the wire each is
/// the lower-case name below; a status with any other state, or a number, is refused as malformed.
/// </summary>
[JsonConverter(typeof(ApplianceStateJsonConverter))]
public enum ApplianceState
{
    /// <summary>Connected and fit for patient data; no job.</summary>
    [JsonStringEnumMemberName("online")]
    Online,

    /// <summary>Gone: the broker's last will, or the host's own conclusion.</summary>
    [JsonStringEnumMemberName("offline")]
    Offline,

    /// <summary>Connected, but an operating-system check failed: it will not arm (the reason says which).</summary>
    [JsonStringEnumMemberName("unsafe")]
    Unsafe,

    /// <summary>Obeying a wipe order (<see cref="ApplianceStatus.OrderId"/> names it).</summary>
    [JsonStringEnumMemberName("wiping")]
    Wiping,

    /// <summary>Its job ended without a capture (expired).</summary>
    [JsonStringEnumMemberName("idle")]
    Idle,

    /// <summary>A job is armed: the button captures.</summary>
    [JsonStringEnumMemberName("armed")]
    Armed,

    [JsonStringEnumMemberName("capturing")]
    Capturing,

    /// <summary>Armed for the job a host's identify command named, and showing it: white light, three beeps (positive identification).</summary>
    [JsonStringEnumMemberName("identifying")]
    Identifying,

    /// <summary>The quality checks sent the series back; the job stays armed (the reason says why).</summary>
    [JsonStringEnumMemberName("retake")]
    Retake,

    /// <summary>A series passed and is stored (<see cref="ApplianceStatus.SeriesId"/> names it).</summary>
    [JsonStringEnumMemberName("accepted")]
    Accepted,

    /// <summary>A job could not be armed (the reason says why).</summary>
    [JsonStringEnumMemberName("refused")]
    Refused,

    /// <summary>The camera, the rings or the store failed during a capture.</summary>
    [JsonStringEnumMemberName("fault")]
    Fault,

    /// <summary>Staff cancelled the job on the appliance.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>A calibration run is waiting for a card (the reason is the prompt; <see cref="ApplianceStatus.CalibrationRunId"/> names the run, as in every calibration state).</summary>
    [JsonStringEnumMemberName("calibrating")]
    Calibrating,

    /// <summary>A calibration run made a new profile (<see cref="ApplianceStatus.ProfileId"/> names it).</summary>
    [JsonStringEnumMemberName("calibrated")]
    Calibrated,

    /// <summary>A calibration run ended without a profile; the old one stays.</summary>
    [JsonStringEnumMemberName("calibration-failed")]
    CalibrationFailed,

    /// <summary>A calibration run could not start.</summary>
    [JsonStringEnumMemberName("calibration-refused")]
    CalibrationRefused,

    /// <summary>Staff cancelled a calibration run on the appliance (a hold); the old profile stays.</summary>
    [JsonStringEnumMemberName("calibration-cancelled")]
    CalibrationCancelled,
}

/// <summary>Names only: a number where a state should be is refused, as it means nothing to a reader of the topic.</summary>
public sealed class ApplianceStateJsonConverter() : JsonStringEnumConverter<ApplianceState>(namingPolicy: null, allowIntegerValues: false);

/// <summary>The states' wire names, for pages, logs and the job timeline.</summary>
public static class ApplianceStates
{
    private static readonly Dictionary<ApplianceState, string> Names = Enum.GetValues<ApplianceState>().ToDictionary(
        s => s,
        s => typeof(ApplianceState).GetField(s.ToString())!.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false).Cast<JsonStringEnumMemberNameAttribute>().Single().Name);

    /// <summary>The state as the wire and the pages name it ("calibration-failed").</summary>
    public static string Name(this ApplianceState state) => Names[state];
}
