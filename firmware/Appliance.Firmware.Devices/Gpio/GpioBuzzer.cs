using System.Device.Gpio;
using Appliance.Firmware.Core;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>
/// An optional piezo buzzer (active high, through a transistor), so staff need not look up
/// from the patient: one short beep for accepted, two for retake, three to identify, one long for a fault. A new
/// state cuts off the pattern still playing; the buzzer is silent at start and at stop.
/// </summary>
public sealed class GpioBuzzer : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(80);

    private readonly GpioController _gpio;
    private readonly int _pin;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _playing;

    public GpioBuzzer(GpioController gpio, int pin, TimeProvider time)
    {
        _gpio = gpio;
        _pin = pin;
        _time = time;
        _gpio.OpenPin(_pin, PinMode.Output, PinValue.Low);
    }

    /// <summary>On-times of the beeps for a state, each followed by an equal silence; none for the others.</summary>
    public static IReadOnlyList<TimeSpan> PatternFor(IndicatorState state) => state switch
    {
        IndicatorState.Accepted or IndicatorState.OverviewTaken => [Short],
        IndicatorState.Retake => [Short, Short],
        IndicatorState.Calibrating => [Short],
        IndicatorState.Identify => [Short, Short, Short],
        IndicatorState.Fault => [TimeSpan.FromMilliseconds(600)],
        _ => [],
    };

    /// <summary>Starts the state's pattern and returns at once; the returned task ends with the pattern.</summary>
    public Task Signal(IndicatorState state)
    {
        var pattern = PatternFor(state);
        CancellationTokenSource playing;
        lock (_lock)
        {
            _playing?.Cancel();
            _playing?.Dispose();
            _playing = playing = new CancellationTokenSource();
            _gpio.Write(_pin, PinValue.Low);
        }

        return pattern.Count == 0 ? Task.CompletedTask : PlayAsync(pattern, playing.Token);
    }

    private async Task PlayAsync(IReadOnlyList<TimeSpan> pattern, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var beep in pattern)
            {
                Write(PinValue.High, cancellationToken);
                await Task.Delay(beep, _time, cancellationToken);
                Write(PinValue.Low, cancellationToken);
                await Task.Delay(beep, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // A newer state took over the buzzer; it has already silenced it.
        }
    }

    /// <summary>Writes only while this pattern is still the current one.</summary>
    private void Write(PinValue value, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                _gpio.Write(_pin, value);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _playing?.Cancel();
            _playing?.Dispose();
            _playing = null;
            _gpio.Write(_pin, PinValue.Low);
        }
    }
}
