using System.Device.Gpio;
using Appliance.Firmware.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// An RGB status LED on three GPIO outputs (active high), and the buzzer when there is one.
/// Colours: idle green, armed blue, busy cyan, accepted green, retake amber, fault red.
/// </summary>
public sealed class GpioStatusIndicator : IStatusIndicator
{
    private readonly GpioController _gpio;
    private readonly PinMapOptions _pins;
    private readonly GpioBuzzer? _buzzer;
    private readonly Lock _lock = new();

    public GpioStatusIndicator(GpioController gpio, IOptions<PinMapOptions> pins, GpioBuzzer? buzzer = null)
    {
        _gpio = gpio;
        _pins = pins.Value;
        _buzzer = buzzer;
        foreach (var pin in new[] { _pins.StatusRedPin, _pins.StatusGreenPin, _pins.StatusBluePin })
        {
            _gpio.OpenPin(pin, PinMode.Output, PinValue.Low);
        }
    }

    public IndicatorState Current { get; private set; } = IndicatorState.Idle;

    public void Show(IndicatorState state)
    {
        var (r, g, b) = state switch
        {
            IndicatorState.Idle => (false, true, false),
            IndicatorState.Armed => (false, false, true),
            IndicatorState.Busy => (false, true, true),
            IndicatorState.Accepted => (false, true, false),
            IndicatorState.Retake => (true, true, false),
            IndicatorState.Fault => (true, false, false),
            IndicatorState.Calibrating => (true, false, true),
            _ => (true, false, false),
        };
        lock (_lock)
        {
            _gpio.Write(_pins.StatusRedPin, r);
            _gpio.Write(_pins.StatusGreenPin, g);
            _gpio.Write(_pins.StatusBluePin, b);
            Current = state;
        }

        _buzzer?.Signal(state);
    }
}
