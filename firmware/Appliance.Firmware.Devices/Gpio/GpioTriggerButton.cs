using System.Device.Gpio;
using System.Threading.Channels;
using Appliance.Firmware.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// The capture button: active low with the pull-up, falling edges debounced against the
/// injected clock (a burst of bounces is one press). Presses go into a small channel; if the
/// state machine is busy, extra presses are dropped rather than queued up behind it.
/// </summary>
public sealed class GpioTriggerButton : ITriggerButton, IDisposable
{
    private readonly GpioController _gpio;
    private readonly TimeProvider _time;
    private readonly int _pin;
    private readonly TimeSpan _debounce;
    private readonly Channel<ButtonPress> _presses = Channel.CreateBounded<ButtonPress>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _lock = new();
    private DateTimeOffset _lastPress = DateTimeOffset.MinValue;

    public GpioTriggerButton(GpioController gpio, TimeProvider time, IOptions<PinMapOptions> pins)
    {
        _gpio = gpio;
        _time = time;
        _pin = pins.Value.CaptureButtonPin;
        _debounce = pins.Value.ButtonDebounce;
        _gpio.OpenPin(_pin, PinMode.InputPullUp);
        _gpio.RegisterCallbackForPinValueChangedEvent(_pin, PinEventTypes.Falling, OnFalling);
    }

    public ChannelReader<ButtonPress> Presses => _presses.Reader;

    private void OnFalling(object sender, PinValueChangedEventArgs e)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (now - _lastPress < _debounce)
            {
                return;
            }

            _lastPress = now;
        }

        _presses.Writer.TryWrite(new ButtonPress(now));
    }

    public void Dispose() => _gpio.UnregisterCallbackForPinValueChangedEvent(_pin, OnFalling);
}
