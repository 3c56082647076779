using System.Device.Gpio;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests.Contracts;

/// <summary>
/// What every way of driving the rings promises the capture stage: both dark from the start, one
/// ring lit at a time (the other switched off first, so the two are never lit together, which
/// would spoil the cross-polarised frame), dark after <c>AllOff</c> and after disposal. Run on
/// plain GPIO lines, on hardware PWM channels and on one of each, read back from the simulated
/// driver's timeline (where PWM output is recorded under the pin it drives).
/// </summary>
public abstract class IlluminatorContract : IDisposable
{
    protected PinMapOptions Pins { get; } = new();

    protected SimulatedGpioDriver Driver { get; } = new(TimeProvider.System);

    /// <summary>The rings under test, built on <see cref="Driver"/> at the <see cref="Pins"/>.</summary>
    protected abstract GpioIlluminator Create();

    private bool IsLit(LightingMode ring) =>
        Driver.Timeline.LastOrDefault(w => w.Pin == (ring == LightingMode.CrossPolarised ? Pins.CrossPolarisedRingPin : Pins.NonPolarisedRingPin))?.Value == PinValue.High;

    public void Dispose()
    {
        Driver.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void BothRingsAreDark_FromConstruction()
    {
        using var rings = Create();

        Assert.False(IsLit(LightingMode.CrossPolarised));
        Assert.False(IsLit(LightingMode.NonPolarised));
        Assert.DoesNotContain(Driver.Timeline, w => w.Value == PinValue.High);
    }

    [Fact]
    public void EachRingLightsAlone_AndSwitchingRingsNeverLightsBoth()
    {
        using var rings = Create();

        rings.Light(LightingMode.CrossPolarised);
        Assert.Equal((true, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
        rings.Light(LightingMode.NonPolarised);
        Assert.Equal((false, true), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
        rings.Light(LightingMode.CrossPolarised);
        Assert.Equal((true, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));

        RingTimeline.AssertNeverTogether(Driver, Pins);
    }

    [Fact]
    public void LightingFromManyThreadsAtOnce_NeverLightsBoth()
    {
        using var rings = Create();

        Parallel.For(0, 2_000, i => rings.Light(i % 2 == 0 ? LightingMode.CrossPolarised : LightingMode.NonPolarised));

        RingTimeline.AssertNeverTogether(Driver, Pins);
    }

    [Theory]
    [InlineData(LightingMode.CrossPolarised)]
    [InlineData(LightingMode.NonPolarised)]
    public void AllOffAndDisposal_LeaveBothRingsDark(LightingMode ring)
    {
        var rings = Create();
        rings.Light(ring);
        rings.AllOff();
        Assert.Equal((false, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));

        rings.Light(ring);
        rings.Dispose();
        Assert.Equal((false, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
    }
}

public sealed class GpioLineIlluminatorContract : IlluminatorContract
{
    protected override GpioIlluminator Create() => new(new GpioController(Driver), Options.Create(Pins));
}

public sealed class PwmIlluminatorContract : IlluminatorContract
{
    protected override GpioIlluminator Create() => new(
        new PwmRingOutput(new SimulatedPwmChannel(Driver, Pins.CrossPolarisedRingPin, 25_000), 0.6),
        new PwmRingOutput(new SimulatedPwmChannel(Driver, Pins.NonPolarisedRingPin, 25_000), 0.35));
}

public sealed class MixedIlluminatorContract : IlluminatorContract
{
    protected override GpioIlluminator Create() => new(
        new PwmRingOutput(new SimulatedPwmChannel(Driver, Pins.CrossPolarisedRingPin, 25_000), 1.0),
        new GpioRingOutput(new GpioController(Driver), Pins.NonPolarisedRingPin));
}
