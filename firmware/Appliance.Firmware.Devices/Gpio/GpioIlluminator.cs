using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// The two LED rings, each on a plain GPIO output or a hardware PWM channel. The other ring is
/// always switched off before one is switched on, so the two are never lit together, and both
/// are off from construction.
/// </summary>
public sealed class GpioIlluminator : IIlluminator, IDisposable
{
    private readonly IRingOutput _crossPolarised;
    private readonly IRingOutput _nonPolarised;
    private readonly Lock _lock = new();

    /// <summary>Both rings on plain GPIO, at the pins of the pin map.</summary>
    public GpioIlluminator(GpioController gpio, IOptions<PinMapOptions> pins)
        : this(new GpioRingOutput(gpio, pins.Value.CrossPolarisedRingPin), new GpioRingOutput(gpio, pins.Value.NonPolarisedRingPin))
    {
    }

    public GpioIlluminator(IRingOutput crossPolarised, IRingOutput nonPolarised)
    {
        _crossPolarised = crossPolarised;
        _nonPolarised = nonPolarised;
        AllOff();
    }

    public void Light(LightingMode ring)
    {
        var (on, off) = ring == LightingMode.CrossPolarised ? (_crossPolarised, _nonPolarised) : (_nonPolarised, _crossPolarised);
        lock (_lock)
        {
            off.Off();
            on.On();
        }
    }

    public void AllOff()
    {
        lock (_lock)
        {
            _crossPolarised.Off();
            _nonPolarised.Off();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _crossPolarised.Dispose();
            _nonPolarised.Dispose();
        }
    }
}
