using System.Device.Gpio;
using System.Device.Pwm;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>Opens a PWM channel; <paramref name="pin"/> is the line it drives, which only the simulation needs.</summary>
public delegate PwmChannel PwmChannelFactory(int chip, int channel, int frequencyHz, int pin);

/// <summary>One LED ring's drive: lit at its brightness, or dark.</summary>
public interface IRingOutput : IDisposable
{
    void On();

    void Off();
}

/// <summary>A ring on a plain GPIO output (MOSFET gate, active high): fully on or off.</summary>
public sealed class GpioRingOutput : IRingOutput
{
    private readonly GpioController _gpio;
    private readonly int _pin;

    public GpioRingOutput(GpioController gpio, int pin)
    {
        _gpio = gpio;
        _pin = pin;
        // Opened low, so the ring is dark from the first instant this process owns the pin.
        _gpio.OpenPin(_pin, PinMode.Output, PinValue.Low);
    }

    public void On() => _gpio.Write(_pin, PinValue.High);

    public void Off() => _gpio.Write(_pin, PinValue.Low);

    public void Dispose() => Off();
}

/// <summary>
/// A ring on a hardware PWM channel: lit at <c>brightness</c> duty. Off sets the duty to zero
/// before stopping the channel, so the line is low whatever the controller's idle level.
/// </summary>
public sealed class PwmRingOutput : IRingOutput
{
    private readonly PwmChannel _channel;
    private readonly double _brightness;

    public PwmRingOutput(PwmChannel channel, double brightness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(brightness, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brightness, 1);
        _channel = channel;
        _brightness = brightness;
        Off();
    }

    public void On()
    {
        _channel.DutyCycle = _brightness;
        _channel.Start();
    }

    public void Off()
    {
        _channel.DutyCycle = 0;
        _channel.Stop();
    }

    public void Dispose()
    {
        Off();
        _channel.Dispose();
    }
}
