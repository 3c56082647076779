using System.Device.Gpio;
using System.Device.Spi;
using System.Drawing;
using Iot.Device.Ili934x;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// An ILI9341 on SPI through the binding's driver (<see cref="Ili9341"/>: reset, initialisation,
/// windowed pixel writes in 4 KiB transfers, the backlight line). The controller is 240×320
/// portrait; the panel is mounted turned a quarter anticlockwise, so a landscape point (x, y)
/// is the controller's column 239 − y, row x, and each region is turned before it is sent.
/// </summary>
public sealed class Ili9341Panel : IScreenPanel
{
    public const int ControllerWidth = 240;
    public const int ControllerHeight = 320;

    private readonly Ili9341 _controller;
    private readonly SpiDevice _spi;
    private readonly byte[] _turned = new byte[ScreenCanvas.Width * ScreenCanvas.Height * 2];

    /// <summary>Takes the SPI device (disposed with the panel); the GPIO controller stays the caller's.</summary>
    public Ili9341Panel(SpiDevice spi, GpioController gpio, ScreenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _spi = spi;
        _controller = new Ili9341(spi, options.DataCommandPin, options.ResetPin, options.BacklightPin, gpioController: gpio, shouldDispose: false);
    }

    /// <summary>Where a landscape region lies on the controller, as a window of columns and rows.</summary>
    public static Rectangle ControllerWindow(Rectangle region) =>
        new(ControllerWidth - region.Bottom, region.Left, region.Height, region.Width);

    public void Write(Rectangle region, ReadOnlySpan<byte> rgb565)
    {
        var turned = _turned.AsSpan(0, region.Width * region.Height * 2);
        for (var y = 0; y < region.Height; y++)
        {
            for (var x = 0; x < region.Width; x++)
            {
                // The controller's rows are the region's columns; along each, from the region's bottom up.
                var from = ((y * region.Width) + x) * 2;
                var to = ((x * region.Height) + (region.Height - 1 - y)) * 2;
                turned[to] = rgb565[from];
                turned[to + 1] = rgb565[from + 1];
            }
        }

        _controller.SendBitmapPixelData(turned, ControllerWindow(region));
    }

    public void Backlight(bool on)
    {
        if (on)
        {
            _controller.TurnBacklightOn();
        }
        else
        {
            _controller.TurnBacklightOff();
        }
    }

    public void Dispose()
    {
        _controller.Dispose();
        _spi.Dispose();
    }
}
