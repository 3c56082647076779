using System.Device.Gpio;
using System.Drawing;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Screen;
using Appliance.Firmware.Devices.Simulated;
using Appliance.TestData;

namespace Appliance.UnitTests.Screen;

/// <summary>
/// The binding's ILI9341 driver, as the panel uses it, into a simulated controller that decodes
/// the bytes on the bus: what the driver sent is the picture the panel would show, the right way
/// up, with its text in the binding's own font; dark with the backlight off.
/// </summary>
public sealed class SimulatedSpiDisplayTests : IDisposable
{
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);
    private readonly GpioController _gpio;
    private readonly ScreenOptions _options = new() { Enabled = true };
    private readonly SimulatedSpiDisplay _display;
    private readonly Ili9341Panel _panel;

    public SimulatedSpiDisplayTests()
    {
        _gpio = new GpioController(_driver);
        _display = new SimulatedSpiDisplay(_gpio, _options.DataCommandPin, _options.BacklightPin, _options.ClockHz);
        _panel = new Ili9341Panel(_display, _gpio, _options);
    }

    private static (int R, int G, int B) At(byte[] picture, int x, int y) => ScreenGlyphs.At(picture, x, y);

    [Fact]
    public void ARegionSent_AppearsWhereItWasDrawn_TheRightWayUp()
    {
        var canvas = new ScreenCanvas();
        canvas.Fill(new Rectangle(0, 0, 320, 240), ScreenCanvas.Rgb565(0, 0, 0));
        canvas.Fill(new Rectangle(10, 20, 30, 5), ScreenCanvas.Rgb565(255, 0, 0)); // a red bar near the top left
        canvas.Fill(new Rectangle(300, 200, 4, 30), ScreenCanvas.Rgb565(0, 0, 255)); // a blue post near the bottom right
        var bytes = new byte[320 * 240 * 2];
        canvas.CopyRegion(new Rectangle(0, 0, 320, 240), bytes);

        _panel.Write(new Rectangle(0, 0, 320, 240), bytes);
        _panel.Backlight(true);

        var picture = _display.Picture();
        Assert.Equal((255, 0, 0), At(picture, 10, 20));
        Assert.Equal((255, 0, 0), At(picture, 39, 24));
        Assert.Equal((0, 0, 0), At(picture, 40, 24));
        Assert.Equal((0, 0, 0), At(picture, 10, 25));
        Assert.Equal((0, 0, 255), At(picture, 303, 229));
        Assert.Equal((0, 0, 0), At(picture, 303, 230));
        Assert.True(_display.BytesReceived >= (320 * 240 * 2) + (240 * 320 * 2)); // the driver's clearing frame, then ours
    }

    [Fact]
    public void ASmallRegion_ChangesOnlyItself()
    {
        var canvas = new ScreenCanvas();
        canvas.Fill(new Rectangle(0, 0, 320, 240), ScreenCanvas.Rgb565(0, 255, 0));
        var all = new byte[320 * 240 * 2];
        canvas.CopyRegion(new Rectangle(0, 0, 320, 240), all);
        _panel.Write(new Rectangle(0, 0, 320, 240), all);
        _panel.Backlight(true);
        var region = new Rectangle(100, 50, 17, 9);
        canvas.Fill(region, ScreenCanvas.Rgb565(255, 255, 255));
        var part = new byte[region.Width * region.Height * 2];
        canvas.CopyRegion(region, part);

        _panel.Write(region, part);

        var picture = _display.Picture();
        for (var y = 40; y < 70; y++)
        {
            for (var x = 90; x < 130; x++)
            {
                Assert.Equal(region.Contains(x, y) ? (255, 255, 255) : (0, 255, 0), At(picture, x, y));
            }
        }
    }

    [Fact]
    public void Text_IsTheBindingsFontScaled_WhereItWasPut()
    {
        var canvas = new ScreenCanvas();
        canvas.Fill(new Rectangle(0, 0, 320, 240), ScreenCanvas.Rgb565(0, 0, 0));
        canvas.Text(new Rectangle(0, 0, 320, 240), 50, 60, "K7", 3, ScreenCanvas.Rgb565(255, 255, 255));
        var bytes = new byte[320 * 240 * 2];
        canvas.CopyRegion(new Rectangle(0, 0, 320, 240), bytes);
        _panel.Write(new Rectangle(0, 0, 320, 240), bytes);
        _panel.Backlight(true);

        var picture = _display.Picture();
        Assert.Null(ScreenGlyphs.Mismatch(picture, 'K', 50, 60, 3));
        Assert.Null(ScreenGlyphs.Mismatch(picture, '7', 50 + 18, 60, 3));
    }

    [Fact]
    public void WithTheBacklightOff_NothingIsSeen()
    {
        var canvas = new ScreenCanvas();
        canvas.Fill(new Rectangle(0, 0, 320, 240), ScreenCanvas.Rgb565(255, 255, 255));
        var bytes = new byte[320 * 240 * 2];
        canvas.CopyRegion(new Rectangle(0, 0, 320, 240), bytes);
        _panel.Write(new Rectangle(0, 0, 320, 240), bytes);

        _panel.Backlight(false);

        Assert.All(_display.Picture(), b => Assert.Equal(0, b));
    }

    public void Dispose()
    {
        _panel.Dispose();
        _gpio.Dispose();
        _driver.Dispose();
    }
}
