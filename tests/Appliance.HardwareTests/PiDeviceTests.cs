using System.Device.Gpio;
using System.Globalization;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.HardwareTests;

/// <summary>
/// On a Pi wired as hardware/README.md says: every part the firmware is configured for is there
/// and passes the install self-test; the rings light one at a time on their PWM channels (or
/// lines) and are dark after; the status LED's colours reach their pins. What a person must see
/// or measure (the light itself, the button) is in hardware/bench-test.md.
/// </summary>
[Trait("Category", OnThePi.Category)]
public sealed class PiDeviceTests : IDisposable
{
    private readonly OnThePi _pi = new();

    public void Dispose() => _pi.Dispose();

    [Fact]
    public void EveryConfiguredPart_IsThere()
    {
        Assert.Empty(DeviceParts.From(_pi.Configuration).Missing());
    }

    [Fact]
    public async Task TheInstallSelfTest_PassesEveryCheck()
    {
        var rows = await _pi.Service<DeviceSelfTest>().RunAsync(CancellationToken.None);

        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.True(r.Outcome == SelfTestOutcome.Pass, $"{r.Check}: {r.Outcome} {r.Detail}"));
    }

    [Fact]
    public void TheRings_LightOneAtATime_AndAreDarkAfter()
    {
        var rings = _pi.Service<GpioIlluminator>();
        try
        {
            Assert.Equal((false, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
            rings.Light(LightingMode.CrossPolarised);
            Assert.Equal((true, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
            rings.Light(LightingMode.NonPolarised);
            Assert.Equal((false, true), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
        }
        finally
        {
            rings.AllOff();
        }

        Assert.Equal((false, false), (IsLit(LightingMode.CrossPolarised), IsLit(LightingMode.NonPolarised)));
    }

    [Theory]
    [InlineData(IndicatorState.Fault, true, false, false)]
    [InlineData(IndicatorState.Accepted, false, true, false)]
    [InlineData(IndicatorState.Armed, false, false, true)]
    [InlineData(IndicatorState.Calibrating, true, false, true)]
    public void TheStatusLedsColours_ReachTheirPins(IndicatorState state, bool red, bool green, bool blue)
    {
        var pins = _pi.Service<IOptions<PinMapOptions>>().Value;
        var gpio = _pi.Service<GpioController>();
        var indicator = _pi.Service<GpioStatusIndicator>();

        indicator.Show(state);

        Assert.Equal((red, green, blue), (gpio.Read(pins.StatusRedPin) == PinValue.High, gpio.Read(pins.StatusGreenPin) == PinValue.High, gpio.Read(pins.StatusBluePin) == PinValue.High));
        indicator.Show(IndicatorState.Idle);
    }

    /// <summary>Read back from the kernel: the PWM channel's enable and duty in sysfs, or the GPIO line's level.</summary>
    private bool IsLit(LightingMode ring)
    {
        var pins = _pi.Service<IOptions<PinMapOptions>>().Value;
        var drive = _pi.Service<IOptions<RingDriveOptions>>().Value;
        var devices = _pi.Service<IOptions<DevicesOptions>>().Value;
        var (pin, channel) = ring == LightingMode.CrossPolarised
            ? (pins.CrossPolarisedRingPin, drive.CrossPolarisedPwmChannel)
            : (pins.NonPolarisedRingPin, drive.NonPolarisedPwmChannel);
        if (channel is null)
        {
            return _pi.Service<GpioController>().Read(pin) == PinValue.High;
        }

        var folder = Path.Combine(devices.SysRoot, "class", "pwm", $"pwmchip{drive.PwmChip}", $"pwm{channel}");
        string Read(string name) => File.ReadAllText(Path.Combine(folder, name)).Trim();
        return Read("enable") == "1" && long.Parse(Read("duty_cycle"), CultureInfo.InvariantCulture) > 0;
    }
}
