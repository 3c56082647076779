using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// Section <c>Rings</c>: how each LED ring is driven. With a PWM channel set, the ring runs on
/// hardware PWM at the given brightness (the pin is then the PWM overlay's, not a GPIO line);
/// without one it is a plain GPIO output on its pin from <see cref="PinMapOptions"/>, fully on.
/// </summary>
public sealed class RingDriveOptions
{
    public const string Section = "Rings";

    /// <summary>The sysfs PWM chip (<c>/sys/class/pwm/pwmchipN</c>): 0 on a Pi 4 with the pwm-2chan overlay.</summary>
    [Range(0, 16)]
    public int PwmChip { get; set; }

    /// <summary>PWM channel of the cross-polarised ring (0 is GPIO18 with pwm-2chan); unset for plain GPIO.</summary>
    [Range(0, 3)]
    public int? CrossPolarisedPwmChannel { get; set; }

    /// <summary>PWM channel of the non-polarised ring (1 is GPIO13 with pwm-2chan); unset for plain GPIO.</summary>
    [Range(0, 3)]
    public int? NonPolarisedPwmChannel { get; set; }

    /// <summary>
    /// Far above the camera's line rate: at 25 kHz an 8 ms exposure integrates 200 periods in
    /// every row, so the rolling shutter shows no banding.
    /// </summary>
    [Range(1000, 100_000)]
    public int PwmFrequencyHz { get; set; } = 25_000;

    /// <summary>Duty cycle of the cross-polarised ring when lit (0.05–1). Calibration depends on it.</summary>
    [Range(0.05, 1.0)]
    public double CrossPolarisedBrightness { get; set; } = 1.0;

    /// <summary>Duty cycle of the non-polarised ring when lit (0.05–1).</summary>
    [Range(0.05, 1.0)]
    public double NonPolarisedBrightness { get; set; } = 1.0;
}
