using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// The two LED rings on plain GPIO outputs driving MOSFETs (active high). The other ring is
/// always switched off before one is switched on, so the two are never lit together.
/// </summary>
public sealed class GpioIlluminator : IIlluminator, IDisposable
{
    private readonly GpioController _gpio;
    private readonly int _crossPin;
    private readonly int _nonPin;
    private readonly Lock _lock = new();

    public GpioIlluminator(GpioController gpio, IOptions<PinMapOptions> pins)
    {
        _gpio = gpio;
        _crossPin = pins.Value.CrossPolarisedRingPin;
        _nonPin = pins.Value.NonPolarisedRingPin;
        // Open at Low so that the rings are off from the first instant this process owns the pins.
        _gpio.OpenPin(_crossPin, PinMode.Output, PinValue.Low);
        _gpio.OpenPin(_nonPin, PinMode.Output, PinValue.Low);
    }

    public void Light(LightingMode ring)
    {
        var (on, off) = ring == LightingMode.CrossPolarised ? (_crossPin, _nonPin) : (_nonPin, _crossPin);
        lock (_lock)
        {
            _gpio.Write(off, PinValue.Low);
            _gpio.Write(on, PinValue.High);
        }
    }

    public void AllOff()
    {
        lock (_lock)
        {
            _gpio.Write(_crossPin, PinValue.Low);
            _gpio.Write(_nonPin, PinValue.Low);
        }
    }

    public void Dispose() => AllOff();
}
