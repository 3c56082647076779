using System.Device.Gpio;
using System.Device.Pwm;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// A PWM channel with no hardware behind it. Its output goes onto the simulated GPIO driver's
/// timeline under the pin it drives (high while running with a duty above zero, with the
/// duty), so the ring safety checks read the same timeline whether a ring is on PWM or GPIO.
/// </summary>
public sealed class SimulatedPwmChannel(SimulatedGpioDriver driver, int pin, int frequency) : PwmChannel
{
    private double _duty;
    private bool _running;

    public override int Frequency { get; set; } = frequency;

    public override double DutyCycle
    {
        get => _duty;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 0);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1);
            _duty = value;
            Publish();
        }
    }

    public override void Start()
    {
        _running = true;
        Publish();
    }

    public override void Stop()
    {
        _running = false;
        Publish();
    }

    private void Publish()
    {
        var lit = _running && _duty > 0;
        driver.RecordExternalOutput(pin, lit ? PinValue.High : PinValue.Low, lit ? _duty : 0);
    }
}
