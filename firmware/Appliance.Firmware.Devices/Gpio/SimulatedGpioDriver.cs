using System.Device.Gpio;

namespace Appliance.Firmware.Devices.Gpio;

/// <summary>One write to an output pin, with the time it happened; <see cref="Duty"/> is set for a PWM output.</summary>
public sealed record PinWrite(DateTimeOffset At, int Pin, PinValue Value, double? Duty = null);

/// <summary>
/// A GPIO driver with no hardware behind it, for simulation mode and tests. It records every
/// write on a timeline (so the ring sequence can be checked) and lets a caller drive input
/// edges, as a finger on the capture button would.
/// </summary>
public sealed class SimulatedGpioDriver(TimeProvider time) : GpioDriver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, PinValue> _values = [];
    private readonly Dictionary<int, List<(PinEventTypes Events, PinChangeEventHandler Handler)>> _callbacks = [];
    private readonly Queue<PinWrite> _timeline = new();

    /// <summary>
    /// The most writes <see cref="Timeline"/> keeps, the oldest dropped first: a simulated appliance
    /// left running (the screen's data/command line toggles with every SPI transfer) must not grow without end.
    /// </summary>
    public const int TimelineCapacity = 65_536;

    /// <summary>The Pi's 28 user GPIO lines (BCM 0–27).</summary>
    protected override int PinCount => 28;

    public IReadOnlyList<PinWrite> Timeline
    {
        get
        {
            lock (_lock)
            {
                return [.. _timeline];
            }
        }
    }

    /// <summary>Raised after every output write, for observers that wait on a pin state.</summary>
    public event EventHandler<PinWrite>? Written;

    public PinValue ValueOf(int pin)
    {
        lock (_lock)
        {
            return _values.GetValueOrDefault(pin, PinValue.Low);
        }
    }

    /// <summary>Drives an input pin to a level and raises the matching edge callbacks.</summary>
    public void DriveInput(int pin, PinValue value)
    {
        List<PinChangeEventHandler> toCall = [];
        PinEventTypes edge;
        lock (_lock)
        {
            var previous = _values.GetValueOrDefault(pin, PinValue.High);
            _values[pin] = value;
            if (previous == value)
            {
                return;
            }

            edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            if (_callbacks.TryGetValue(pin, out var list))
            {
                toCall.AddRange(list.Where(c => c.Events.HasFlag(edge)).Select(c => c.Handler));
            }
        }

        foreach (var handler in toCall)
        {
            handler(this, new PinValueChangedEventArgs(edge, pin));
        }
    }

    /// <summary>Records an output driven by something other than GPIO writes (a simulated PWM channel on that pin).</summary>
    public void RecordExternalOutput(int pin, PinValue value, double duty)
    {
        PinWrite write;
        lock (_lock)
        {
            _values[pin] = value;
            write = new PinWrite(time.GetUtcNow(), pin, value, duty);
            Record(write);
        }

        Written?.Invoke(this, write);
    }

    /// <summary>A clean press and release of an active-low button wired to <paramref name="pin"/>.</summary>
    public void PressButton(int pin)
    {
        DriveInput(pin, PinValue.Low);
        DriveInput(pin, PinValue.High);
    }

    protected override void OpenPin(int pinNumber)
    {
        lock (_lock)
        {
            _modes.TryAdd(pinNumber, PinMode.Input);
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_lock)
        {
            _modes.Remove(pinNumber);
            _callbacks.Remove(pinNumber);
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_lock)
        {
            _modes[pinNumber] = mode;
            if (mode == PinMode.InputPullUp && !_values.ContainsKey(pinNumber))
            {
                _values[pinNumber] = PinValue.High;
            }
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_lock)
        {
            return _modes.GetValueOrDefault(pinNumber, PinMode.Input);
        }
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber) => ValueOf(pinNumber);

    /// <summary>Keeps a write in the timeline, under the lock.</summary>
    private void Record(PinWrite write)
    {
        if (_timeline.Count == TimelineCapacity)
        {
            _timeline.Dequeue();
        }

        _timeline.Enqueue(write);
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        PinWrite write;
        lock (_lock)
        {
            _values[pinNumber] = value;
            write = new PinWrite(time.GetUtcNow(), pinNumber, value);
            Record(write);
        }

        Written?.Invoke(this, write);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The appliance uses edge callbacks, not blocking waits.");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (!_callbacks.TryGetValue(pinNumber, out var list))
            {
                _callbacks[pinNumber] = list = [];
            }

            list.Add((eventTypes, callback));
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (_callbacks.TryGetValue(pinNumber, out var list))
            {
                list.RemoveAll(c => c.Handler == callback);
            }
        }
    }
}
