using System.ComponentModel.DataAnnotations;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>Section <c>Calibration</c>: how long a profile is trusted and what happens after.</summary>
public sealed class CalibrationOptions
{
    public const string Section = "Calibration";

    /// <summary>How long a new profile is valid: colour drifts as LEDs age and optics collect dust.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan Validity { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Arm without a valid profile, with the warning in the status the host shows, instead of
    /// refusing. An admin's choice for a clinic that must keep capturing until the target arrives.
    /// </summary>
    public bool AllowExpired { get; set; }

    /// <summary>The target's data sheet (an admin's own target's values); the built-in one when empty.</summary>
    public string? TargetSheet { get; set; }

    /// <summary>
    /// The camera's characterisation: nine numbers, row by row, from its linear RGB to linear sRGB,
    /// used to turn the white card into the ring's colour temperature. Empty: the camera's output
    /// is taken as sRGB already (rpicam-still with the module's tuning and colour gains set for D65).
    /// </summary>
    public double[]? CameraToSrgb { get; set; }

    /// <summary>
    /// The width of the sensor's active area: the default camera's (hardware/README.md: the Camera
    /// Module 3's IMX708, 4608 pixels of 1.4 µm); 6.287 for the HQ camera's IMX477 (4056 of
    /// 1.55 µm). With the measured pixels per millimetre and the frame's width it gives the
    /// optical magnification: how large the skin is on the sensor.
    /// </summary>
    [Range(0.1, 100.0)]
    public double SensorWidthMillimetres { get; set; } = 6.4512;

    /// <summary>A run whose held-out patches miss this mean CIEDE2000 is refused, and the old profile stays.</summary>
    [Range(0.1, 50.0)]
    public double MaxMeanDeltaE { get; set; } = 2.0;

    /// <summary>A run whose worst held-out patch misses this CIEDE2000 is refused.</summary>
    [Range(0.1, 100.0)]
    public double MaxWorstDeltaE { get; set; } = 5.0;
}

/// <summary>The appliance's current calibration profile, if it has one.</summary>
public interface ICalibrationState
{
    CalibrationProfile? Current { get; }
}

/// <summary>Where a new profile goes once a run is accepted.</summary>
public interface ICalibrationStore : ICalibrationState
{
    /// <summary>Keeps the profile (atomically) and makes it current.</summary>
    void Save(CalibrationProfile profile);
}

/// <summary>Whether the appliance may arm as calibrated, may arm with a warning, or must refuse.</summary>
public static class CalibrationGate
{
    /// <returns>A refusal (do not arm) or a warning (arm, and say so), or neither.</returns>
    public static (string? Refusal, string? Warning) Check(CalibrationProfile? profile, CalibrationOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problem = profile is null
            ? "not calibrated: run a calibration with the target"
            : profile.IsExpired(now) ? $"calibration {profile.ProfileId} expired at {profile.ExpiresAt:yyyy-MM-dd HH:mm} UTC: calibrate again" : null;
        return problem is null ? (null, null) : options.AllowExpired ? (null, problem) : (problem, null);
    }
}
