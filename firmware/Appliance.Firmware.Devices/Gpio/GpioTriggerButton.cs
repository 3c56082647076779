using System.Device.Gpio;
using System.Threading.Channels;
using Appliance.Firmware.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// The capture button: active low with the pull-up, debounced against the injected clock.
/// A press is reported when the button is released (a short press: capture) or as soon as it
/// has been held for <see cref="PinMapOptions.LongPress"/> (a long press: cancel the armed job,
/// and the release that follows means nothing; a release after that time is a long press even if
/// the timer has not run yet). Reporting on release is what lets one button
/// do both; it costs the length of the press in latency.
/// An edge within the debounce time of the last accepted one is bounce. Because bounce can
/// also swallow a real edge (a tap shorter than the debounce time), the pin's level is read
/// again once things have settled and the state corrected from it.
/// Presses go into a small channel; if the state machine is busy, extra presses are dropped
/// rather than queued up behind it.
/// </summary>
public sealed class GpioTriggerButton : ITriggerButton, IDisposable
{
    private readonly GpioController _gpio;
    private readonly TimeProvider _time;
    private readonly int _pin;
    private readonly TimeSpan _debounce;
    private readonly TimeSpan _longPress;
    private readonly Channel<ButtonPress> _presses = Channel.CreateBounded<ButtonPress>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _lock = new();
    private readonly ITimer _settle;
    private readonly ITimer _hold;
    private DateTimeOffset _lastAccepted = DateTimeOffset.MinValue;
    private DateTimeOffset _pressedAt;
    private bool _pressed;
    private bool _longReported;

    public GpioTriggerButton(GpioController gpio, TimeProvider time, IOptions<PinMapOptions> pins)
    {
        _gpio = gpio;
        _time = time;
        _pin = pins.Value.CaptureButtonPin;
        _debounce = pins.Value.ButtonDebounce;
        _longPress = pins.Value.LongPress;
        _settle = time.CreateTimer(_ => Reconcile(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _hold = time.CreateTimer(_ => OnHeld(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _gpio.OpenPin(_pin, PinMode.InputPullUp);
        _gpio.RegisterCallbackForPinValueChangedEvent(_pin, PinEventTypes.Falling | PinEventTypes.Rising, OnEdge);
    }

    public ChannelReader<ButtonPress> Presses => _presses.Reader;

    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (now - _lastAccepted < _debounce)
            {
                // Bounce, or a real edge hidden in it: look at the level once it has settled.
                _settle.Change(_lastAccepted + _debounce - now, Timeout.InfiniteTimeSpan);
                return;
            }

            Apply(e.ChangeType == PinEventTypes.Falling, now);
        }
    }

    /// <summary>
    /// Moves to the level read or seen; called under the lock. <paramref name="edgeLost"/>: the
    /// level was read because its edge was taken for bounce, so a release came within the
    /// debounce time of the press.
    /// </summary>
    private void Apply(bool down, DateTimeOffset now, bool edgeLost = false)
    {
        if (down == _pressed)
        {
            return;
        }

        _lastAccepted = now;
        _pressed = down;
        if (down)
        {
            _pressedAt = now;
            _longReported = false;
            _hold.Change(_longPress, Timeout.InfiniteTimeSpan);
            return;
        }

        _hold.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (!_longReported)
        {
            // Timed by the edges, not by whether the hold timer has run: on a loaded appliance it
            // can run after the release, and a press held past the long-press time is a cancel,
            // never a capture.
            var held = !edgeLost && now - _pressedAt >= _longPress;
            _presses.Writer.TryWrite(new ButtonPress(_pressedAt, held ? PressKind.Hold : PressKind.Tap));
        }
    }

    private void Reconcile()
    {
        lock (_lock)
        {
            Apply(_gpio.Read(_pin) == PinValue.Low, _time.GetUtcNow(), edgeLost: true);
        }
    }

    private void OnHeld()
    {
        lock (_lock)
        {
            if (_gpio.Read(_pin) != PinValue.Low)
            {
                // The release was lost in bounce: this was a short press after all.
                Apply(false, _time.GetUtcNow(), edgeLost: true);
                return;
            }

            if (_pressed && !_longReported)
            {
                _longReported = true;
                _presses.Writer.TryWrite(new ButtonPress(_pressedAt, PressKind.Hold));
            }
        }
    }

    public void Dispose()
    {
        _gpio.UnregisterCallbackForPinValueChangedEvent(_pin, OnEdge);
        _settle.Dispose();
        _hold.Dispose();
    }
}
