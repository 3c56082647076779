using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Gpio;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests.Contracts;

/// <summary>
/// What every capture button promises the capture worker, on a fake clock: a bouncing press and
/// release is one tap, reported on release and stamped with the press; a hold past the long-press
/// time is one hold at that moment and its release is nothing; a tap shorter than the debounce
/// time is still a tap; presses the worker has not taken yet are dropped, not queued behind it.
/// Run on the GPIO button over the simulated driver (the same class runs over libgpiod on the
/// Pi); a button from another binding plugs in by driving its contact here.
/// </summary>
public abstract class TriggerButtonContract : IDisposable
{
    protected static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(30);
    protected static readonly TimeSpan LongPress = TimeSpan.FromSeconds(2);

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-11-24T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary><see cref="Time"/> as the button sees it: its timers can be made to run late, as on a loaded appliance.</summary>
    protected StallableClock Clock { get; }

    protected TriggerButtonContract() => Clock = new StallableClock(Time);

    /// <summary>The button under test, on <see cref="Clock"/>, with <see cref="Debounce"/> and <see cref="LongPress"/>.</summary>
    protected abstract ITriggerButton Button { get; }

    /// <summary>Closes (pressed) or opens the button's contact, once and cleanly.</summary>
    protected abstract void Contact(bool closed);

    public abstract void Dispose();

    /// <summary>A contact that chatters for 20 ms before it settles, as a real one does.</summary>
    private void Bounce(bool closed)
    {
        for (var i = 0; i < 5; i++)
        {
            Contact(closed);
            Time.Advance(TimeSpan.FromMilliseconds(2));
            Contact(!closed);
            Time.Advance(TimeSpan.FromMilliseconds(2));
        }

        Contact(closed);
    }

    private List<ButtonPress> Drain()
    {
        var presses = new List<ButtonPress>();
        while (Button.Presses.TryRead(out var p))
        {
            presses.Add(p);
        }

        return presses;
    }

    [Fact]
    public void BouncyPressAndRelease_IsOneTap_ReportedOnRelease_AndALaterPressCountsAgain()
    {
        var pressedAt = Time.GetUtcNow();
        Bounce(closed: true);
        Time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Empty(Drain()); // still held: could yet become a long press

        Bounce(closed: false);
        Time.Advance(TimeSpan.FromMilliseconds(100));

        var tap = Assert.Single(Drain());
        Assert.Equal(PressKind.Tap, tap.Kind);
        Assert.Equal(pressedAt, tap.At);

        Time.Advance(TimeSpan.FromMilliseconds(300));
        Bounce(closed: true);
        Time.Advance(TimeSpan.FromMilliseconds(120));
        Bounce(closed: false);
        Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([PressKind.Tap], Drain().Select(p => p.Kind));
    }

    [Fact]
    public void HeldPastTheLongPressTime_IsOneHold_AtThatMoment_AndItsReleaseIsNothing()
    {
        Bounce(closed: true);
        Time.Advance(LongPress - TimeSpan.FromMilliseconds(100));
        Assert.Empty(Drain());

        Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal([PressKind.Hold], Drain().Select(p => p.Kind));

        Time.Advance(TimeSpan.FromSeconds(3));
        Bounce(closed: false);
        Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Empty(Drain());
    }

    [Fact]
    public void HeldPastTheLongPressTime_IsAHold_EvenWhenItsTimerRunsOnlyAfterTheRelease()
    {
        // A busy appliance runs the long-press timer late: the release must not turn a cancel into a capture.
        Contact(closed: true);
        Clock.Stalled = true;
        Time.Advance(LongPress + TimeSpan.FromMilliseconds(300));
        Contact(closed: false);
        Clock.Stalled = false;
        Time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal([PressKind.Hold], Drain().Select(p => p.Kind));
    }

    [Fact]
    public void TapShorterThanTheDebounceTime_WhoseReleaseLooksLikeBounce_IsStillATap()
    {
        Contact(closed: true);
        Time.Advance(Debounce / 3);
        Contact(closed: false);
        Assert.Empty(Drain());

        Time.Advance(Debounce + TimeSpan.FromMilliseconds(10));

        Assert.Equal([PressKind.Tap], Drain().Select(p => p.Kind));
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(Drain()); // and no long press from a button that is up
    }

    [Fact]
    public void PressesTheWorkerHasNotTaken_AreDropped_NotQueuedBehindIt()
    {
        for (var i = 0; i < 3; i++)
        {
            Bounce(closed: true);
            Time.Advance(TimeSpan.FromMilliseconds(100));
            Bounce(closed: false);
            Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // Staff pressing again while a capture runs must not start three more captures after it.
        Assert.Equal([PressKind.Tap], Drain().Select(p => p.Kind));
    }
}

/// <summary>A clock whose timers hold their callbacks while stalled and run them when it is not.</summary>
public sealed class StallableClock(TimeProvider inner) : TimeProvider
{
    private readonly List<Action> _late = [];
    private bool _stalled;

    public bool Stalled
    {
        get => _stalled;
        set
        {
            _stalled = value;
            if (!value)
            {
                var late = _late.ToList();
                _late.Clear();
                late.ForEach(run => run());
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(s => Run(() => callback(s)), state, dueTime, period);

    private void Run(Action fire)
    {
        if (_stalled)
        {
            _late.Add(fire);
        }
        else
        {
            fire();
        }
    }
}

public sealed class GpioTriggerButtonContract : TriggerButtonContract
{
    private readonly PinMapOptions _pins = new() { ButtonDebounce = Debounce, LongPress = LongPress };
    private readonly SimulatedGpioDriver _driver;
    private readonly GpioTriggerButton _button;

    public GpioTriggerButtonContract()
    {
        _driver = new SimulatedGpioDriver(Time);
        _button = new GpioTriggerButton(new GpioController(_driver), Clock, Options.Create(_pins));
    }

    protected override ITriggerButton Button => _button;

    // Active low with the pull-up: pressed pulls the pin to ground.
    protected override void Contact(bool closed) => _driver.DriveInput(_pins.CaptureButtonPin, closed ? PinValue.Low : PinValue.High);

    public override void Dispose()
    {
        _button.Dispose();
        _driver.Dispose();
    }
}
