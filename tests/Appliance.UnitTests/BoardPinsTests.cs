using System.Text.RegularExpressions;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Screen;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// The pin map against the buses a Pi's config.txt turns on, as the binding's RaspberryPiBoard
/// reads it: the config.txt hardware/README.md gives agrees with the default pin map; each way of
/// getting it wrong is named in one sentence.
/// </summary>
public sealed partial class BoardPinsTests : IDisposable
{
    private readonly TempFolder _folder = new("board-pins");

    [GeneratedRegex(@"## `config\.txt`[^\n]*\n+```ini\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ReadmeConfig();

    private static string DocumentedConfig() =>
        ReadmeConfig().Match(File.ReadAllText(Path.Combine(RepositoryFolder.Root(), "hardware", "README.md"))).Groups[1].Value;

    private IReadOnlyList<string> Conflicts(string config, PinMapOptions? pins = null, RingDriveOptions? rings = null, bool screen = true)
    {
        var file = _folder.Combine("config.txt");
        File.WriteAllText(file, config);
        return new BoardPins(pins ?? new PinMapOptions(), rings ?? new RingDriveOptions { CrossPolarisedPwmChannel = 0, NonPolarisedPwmChannel = 1 }, new ScreenOptions { Enabled = screen }, file).Conflicts();
    }

    [Fact]
    public void TheReadmesConfig_AgreesWithTheDefaultPinMap_ScreenIncluded()
    {
        Assert.Contains("dtparam=spi=on", DocumentedConfig(), StringComparison.Ordinal);
        Assert.Empty(Conflicts(DocumentedConfig()));
    }

    [Fact]
    public void AScreenWithoutSpi_IsNamed()
    {
        var problem = Assert.Single(Conflicts(DocumentedConfig().Replace("dtparam=spi=on", "#dtparam=spi=on", StringComparison.Ordinal)));
        Assert.Contains("does not turn SPI on", problem, StringComparison.Ordinal);
        Assert.Empty(Conflicts(DocumentedConfig().Replace("dtparam=spi=on", string.Empty, StringComparison.Ordinal), screen: false));
    }

    [Fact]
    public void ARingWiredToAnotherPinThanItsPwmOverlay_IsNamed()
    {
        var problem = Assert.Single(Conflicts(DocumentedConfig().Replace("pin=18,func=2", "pin=12,func=4", StringComparison.Ordinal)));
        Assert.Equal("Board: config.txt puts PWM0 on GPIO12, but the cross-polarised ring is wired to GPIO18 (Gpio pin map and the overlay's pins must agree).", problem);
        Assert.Contains("puts PWM0 on no pin", Assert.Single(Conflicts(DocumentedConfig().Replace("dtoverlay=pwm-2chan", "#dtoverlay=pwm-2chan", StringComparison.Ordinal), rings: new RingDriveOptions { CrossPolarisedPwmChannel = 0 })), StringComparison.Ordinal);
    }

    [Fact]
    public void AGpioLineOnABusPin_IsNamed()
    {
        Assert.Equal("Board: GPIO10 is both the capture button and part of SPI0 in config.txt; move one of them (hardware/README.md has the pin map).",
            Assert.Single(Conflicts(DocumentedConfig(), new PinMapOptions { CaptureButtonPin = 10 })));
        Assert.Contains("GPIO2 is both the status LED's red and part of I2C", Assert.Single(Conflicts(DocumentedConfig() + "\ndtparam=i2c_arm=on\n", new PinMapOptions { StatusRedPin = 2 })), StringComparison.Ordinal);
        // A ring driven as plain GPIO on a pin the PWM overlay took.
        Assert.Contains("GPIO13 is both the non-polarised ring and part of PWM1", Assert.Single(Conflicts(DocumentedConfig(), rings: new RingDriveOptions { CrossPolarisedPwmChannel = 0 })), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAConfigTxt_ThePinMapCannotBeChecked_AndSaysSo()
    {
        var problem = Assert.Single(new BoardPins(new PinMapOptions(), new RingDriveOptions(), new ScreenOptions(), _folder.Combine("none.txt")).Conflicts());
        Assert.StartsWith("Board: there is no config.txt", problem, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
