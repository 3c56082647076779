using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// The parts a real appliance needs, against fake /dev and /sys trees: a Pi set up right has
/// nothing missing; each part taken away gives one sentence naming it and what fixes it.
/// </summary>
public sealed class DevicePartsTests : IDisposable
{
    private readonly TempFolder _root = new("device-parts");
    private readonly DevicesOptions _devices;
    private readonly RingDriveOptions _rings = new() { PwmChip = 0, CrossPolarisedPwmChannel = 0, NonPolarisedPwmChannel = 1 };
    private readonly PinMapOptions _pins = new();
    private readonly RpicamOptions _rpicam;
    private readonly V4l2Options _v4l2;
    private bool _libgpiod = true;

    public DevicePartsTests()
    {
        _devices = new DevicesOptions { Mode = DevicesMode.Real, DevRoot = _root.Combine("dev"), SysRoot = _root.Combine("sys") };
        Write("dev/gpiochip0", string.Empty);
        Write("sys/class/pwm/pwmchip0/npwm", "2");
        _rpicam = new RpicamOptions { Executable = Write("usr/bin/rpicam-still", "#!/bin/sh\n") };
        _v4l2 = new V4l2Options { Executable = Write("usr/bin/v4l2-ctl", "#!/bin/sh\n"), Device = Write("dev/video0", string.Empty) };
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void AScreenWithoutItsSpiDevice_IsNamed_AndPassesOnceItIsThere()
    {
        var screen = new Appliance.Firmware.Devices.Screen.ScreenOptions { Enabled = true };
        DeviceParts Parts() => new(_devices, _pins, _rings, _rpicam, _v4l2, () => _libgpiod, screen: screen);

        Assert.Equal($"Screen: there is no {_root.Combine("dev")}/spidev0.0 (Screen:SpiBus 0, Screen:ChipSelect 0); add dtparam=spi=on to config.txt, or set Screen:Enabled to false.", Assert.Single(Parts().Missing()));
        Write("dev/spidev0.0", string.Empty);
        Assert.Empty(Parts().Missing());
        screen.Enabled = false;
        File.Delete(_root.Combine("dev/spidev0.0"));
        Assert.Empty(Parts().Missing());
    }

    [Fact]
    public void APiSetUpRight_MissesNothing_WithEitherCamera()
    {
        Assert.Empty(Parts().Missing());
        _devices.Camera = CameraBackend.V4l2;
        Assert.Empty(Parts().Missing());
    }

    [Fact]
    public void NoGpioChip_SaysWhichChipWasLookedFor_AndWhichThereAre()
    {
        _pins.Chip = 4;
        var missing = Assert.Single(Parts().Missing());
        Assert.StartsWith($"GPIO: there is no {_root.Combine("dev", "gpiochip4")} (Gpio:Chip is 4); this machine has gpiochip0.", missing, StringComparison.Ordinal);

        File.Delete(_root.Combine("dev", "gpiochip0"));
        Assert.Contains("this machine has no GPIO chip at all", Assert.Single(Parts().Missing()), StringComparison.Ordinal);
    }

    [Fact]
    public void NoLibgpiod_SaysWhichPackage()
    {
        _libgpiod = false;
        Assert.Equal("GPIO: libgpiod is not installed (apt install libgpiod2).", Assert.Single(Parts().Missing()));
    }

    [Fact]
    public void NoPwmChip_IsOneSentenceForBothRings_AndNoneWhenTheRingsArePlainGpio()
    {
        Directory.Delete(_root.Combine("sys", "class", "pwm", "pwmchip0"), recursive: true);
        var missing = Assert.Single(Parts().Missing());
        Assert.Contains("(Rings:PwmChip is 0) for the cross-polarised ring's channel 0 and non-polarised ring's channel 1", missing, StringComparison.Ordinal);
        Assert.Contains("pwm-2chan", missing, StringComparison.Ordinal);

        _rings.CrossPolarisedPwmChannel = null;
        _rings.NonPolarisedPwmChannel = null;
        Assert.Empty(Parts().Missing());
    }

    [Fact]
    public void APwmChipWithTooFewChannels_NamesTheRingWhoseChannelIsNotThere()
    {
        Write("sys/class/pwm/pwmchip0/npwm", "1");
        var missing = Assert.Single(Parts().Missing());
        Assert.StartsWith("PWM: pwmchip0 has 1 channel, so the non-polarised ring's channel 1 is not there", missing, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCameraTool_NamesTheToolAndItsPackage_ForEachBackend()
    {
        _rpicam.Executable = "rpicam-still-that-is-not-installed";
        Assert.Equal("Camera: rpicam-still-that-is-not-installed is not installed or not on PATH (apt install rpicam-apps), or set Rpicam:Executable.", Assert.Single(Parts().Missing()));

        _devices.Camera = CameraBackend.V4l2;
        _v4l2.Executable = _root.Combine("nowhere", "v4l2-ctl");
        _v4l2.Device = _root.Combine("dev", "video7");
        Assert.Equal(
            [
                $"Camera: {_v4l2.Executable} is not installed or not on PATH (apt install v4l-utils), or set V4l2:Executable.",
                $"Camera: there is no {_v4l2.Device} (V4l2:Device): is the USB camera plugged in? `v4l2-ctl --list-devices` lists the cameras.",
            ],
            Parts().Missing());
    }

    [Fact]
    public void ACameraToolOnPath_IsFoundByName()
    {
        _rpicam.Executable = "sh";
        Assert.NotNull(Parts().ResolveCameraTool());
        Assert.Empty(Parts().Missing());
    }

    [Fact]
    public void EverythingMissing_IsOneSentencePerPart()
    {
        Directory.Delete(_root.Combine("dev"), recursive: true);
        Directory.Delete(_root.Combine("sys"), recursive: true);
        _rpicam.Executable = _root.Combine("gone");
        _libgpiod = false;
        var missing = Parts().Missing();
        Assert.Equal(4, missing.Count);
        Assert.Equal(["GPIO", "GPIO", "PWM", "Camera"], missing.Select(m => m[..m.IndexOf(':', StringComparison.Ordinal)]));
    }

    private DeviceParts Parts() => new(_devices, _pins, _rings, _rpicam, _v4l2, () => _libgpiod);

    private string Write(string relative, string content)
    {
        var path = _root.Combine(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}
