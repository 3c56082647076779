using System.Drawing;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>The display itself: a landscape region of RGB565 pixels (high byte first, rows top to bottom), and its backlight.</summary>
public interface IScreenPanel : IDisposable
{
    void Write(Rectangle region, ReadOnlySpan<byte> rgb565);

    void Backlight(bool on);
}
