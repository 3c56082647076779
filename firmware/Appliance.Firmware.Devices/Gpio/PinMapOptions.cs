using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// Section <c>Gpio</c>: the pin map in BCM numbering. The defaults match
/// <c>hardware/wiring.md</c>; an appliance wired differently changes them here.
/// </summary>
public sealed class PinMapOptions : IValidatableObject
{
    public const string Section = "Gpio";

    /// <summary>
    /// The gpiochip with the 40-pin header, opened through libgpiod: 0 on a Pi 4 and on a Pi 5
    /// with a current kernel; 4 on a Pi 5 whose kernel still puts the header on
    /// <c>gpiochip4</c>. <c>gpioinfo</c> shows which chip has GPIO17.
    /// </summary>
    [Range(0, 16)]
    public int Chip { get; set; }

    /// <summary>Capture button, active low with the internal pull-up.</summary>
    [Range(0, 27)]
    public int CaptureButtonPin { get; set; } = 17;

    /// <summary>Cross-polarised ring driver (MOSFET gate, active high). BCM 18 is PWM0 for later brightness control.</summary>
    [Range(0, 27)]
    public int CrossPolarisedRingPin { get; set; } = 18;

    /// <summary>Non-polarised ring driver (active high). BCM 13 is PWM1.</summary>
    [Range(0, 27)]
    public int NonPolarisedRingPin { get; set; } = 13;

    [Range(0, 27)]
    public int StatusRedPin { get; set; } = 22;

    [Range(0, 27)]
    public int StatusGreenPin { get; set; } = 23;

    [Range(0, 27)]
    public int StatusBluePin { get; set; } = 24;

    /// <summary>Edges closer together than this belong to the same press or release (contact bounce).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan ButtonDebounce { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Holding the button this long cancels the armed job instead of capturing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:00:10")]
    public TimeSpan LongPress { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Optional piezo buzzer (active high, through a transistor); none when unset.</summary>
    [Range(0, 27)]
    public int? BuzzerPin { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        int[] pins = [CaptureButtonPin, CrossPolarisedRingPin, NonPolarisedRingPin, StatusRedPin, StatusGreenPin, StatusBluePin, .. BuzzerPin is { } buzzer ? [buzzer] : Array.Empty<int>()];
        if (pins.Distinct().Count() != pins.Length)
        {
            yield return new ValidationResult("Every GPIO function needs its own pin; two share one.", [nameof(CaptureButtonPin)]);
        }
    }
}
