using System.Device.Gpio;
using Appliance.Firmware.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// An RGB status LED on three GPIO outputs (active high), and the buzzer when there is one.
/// Colours: idle green, armed blue (blinking while armed for a job's overview, steady for the head
/// on the lesion), busy cyan, accepted green, retake amber, fault red, calibrating magenta;
/// identify white for <see cref="IdentifyFor"/>, then back to what it showed before (unless
/// something else was shown meanwhile).
/// </summary>
public sealed class GpioStatusIndicator : IStatusIndicator, IDisposable
{
    /// <summary>How long the white identify light stays on: long enough to look up and see which unit it is.</summary>
    public static readonly TimeSpan IdentifyFor = TimeSpan.FromSeconds(5);

    /// <summary>Half a blink: on this long, then off this long, as long as the state is shown.</summary>
    public static readonly TimeSpan BlinkHalf = TimeSpan.FromMilliseconds(500);

    private readonly GpioController _gpio;
    private readonly PinMapOptions _pins;
    private readonly GpioBuzzer? _buzzer;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _shown;
    private bool _disposed;
    private ITimer? _blink;
    private bool _blinkOn;

    public GpioStatusIndicator(GpioController gpio, IOptions<PinMapOptions> pins, GpioBuzzer? buzzer = null, TimeProvider? time = null)
    {
        _gpio = gpio;
        _pins = pins.Value;
        _buzzer = buzzer;
        _time = time ?? TimeProvider.System;
        foreach (var pin in new[] { _pins.StatusRedPin, _pins.StatusGreenPin, _pins.StatusBluePin })
        {
            _gpio.OpenPin(pin, PinMode.Output, PinValue.Low);
        }
    }

    public IndicatorState Current { get; private set; } = IndicatorState.Idle;

    public void Show(IndicatorState state)
    {
        var before = Current;
        var shown = Light(state);
        _buzzer?.Signal(state);
        if (state == IndicatorState.Identify)
        {
            IdentifyEnded = RestoreAfterIdentifyAsync(shown, before == IndicatorState.Identify ? IndicatorState.Armed : before);
        }
    }

    /// <summary>Ends when the last identify's white light has gone (put back, or overtaken by another state).</summary>
    public Task IdentifyEnded { get; private set; } = Task.CompletedTask;

    /// <summary>Puts back what was shown before an identify, unless another state came since.</summary>
    private async Task RestoreAfterIdentifyAsync(long shown, IndicatorState before)
    {
        await Task.Delay(IdentifyFor, _time).ConfigureAwait(false);
        Light(before, onlyIfStill: shown);
    }

    /// <summary>Turns the blue off or on again, if showing <paramref name="shown"/> still lasts.</summary>
    private void Blink(long shown)
    {
        lock (_lock)
        {
            if (_disposed || _shown != shown)
            {
                return;
            }

            _blinkOn = !_blinkOn;
            try
            {
                _gpio.Write(_pins.StatusBluePin, _blinkOn);
            }
            catch (ObjectDisposedException)
            {
                // The GPIO went first, as it may at shutdown: a timer's callback must not take the process with it.
                _blink?.Dispose();
                _blink = null;
            }
        }
    }

    /// <summary>
    /// Sets the LED's colour for a state (not if <paramref name="onlyIfStill"/> is given and
    /// another showing came since); the number of this showing, so a later one can be told apart.
    /// </summary>
    private long Light(IndicatorState state, long? onlyIfStill = null)
    {
        var (r, g, b) = state switch
        {
            IndicatorState.Idle => (false, true, false),
            IndicatorState.Armed or IndicatorState.ArmedForOverview or IndicatorState.OverviewTaken => (false, false, true),
            IndicatorState.Busy => (false, true, true),
            IndicatorState.Accepted => (false, true, false),
            IndicatorState.Retake => (true, true, false),
            IndicatorState.Fault => (true, false, false),
            IndicatorState.Calibrating => (true, false, true),
            IndicatorState.Identify => (true, true, true),
            _ => (true, false, false),
        };
        lock (_lock)
        {
            if (_disposed || (onlyIfStill is { } expected && expected != _shown))
            {
                return _shown;
            }

            _gpio.Write(_pins.StatusRedPin, r);
            _gpio.Write(_pins.StatusGreenPin, g);
            _gpio.Write(_pins.StatusBluePin, b);
            Current = state;
            var shown = ++_shown;
            _blink?.Dispose();
            _blink = null;
            if (state == IndicatorState.ArmedForOverview)
            {
                _blinkOn = true;
                _blink = _time.CreateTimer(_ => Blink(shown), null, BlinkHalf, BlinkHalf);
            }

            return shown;
        }
    }

    /// <summary>Stops any blinking or pending identify from writing to the LED again; leaves the pins as they are.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            ++_shown;
            _blink?.Dispose();
        }
    }
}
