using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// Section <c>Screen</c>: the SPI display (ILI9341, 320×240 landscape) that shows the live
/// preview while a job is armed, the job's identification code, each step's prompt, the verdict
/// and the appliance's state. Off by default: a Pi without the display runs as before.
/// </summary>
public sealed class ScreenOptions
{
    public const string Section = "Screen";

    public bool Enabled { get; set; }

    /// <summary>SPI0 (<c>/dev/spidev0.0</c>: bus 0, chip select CE0, header pin 24).</summary>
    [Range(0, 6)]
    public int SpiBus { get; set; }

    [Range(0, 2)]
    public int ChipSelect { get; set; }

    /// <summary>
    /// SPI clock. 40 MHz sends the 240×180 preview (86 400 bytes) in 17 ms, room for 30 frames a
    /// second; the ILI9341 takes writes this fast in practice, though its sheet rates 10 MHz.
    /// </summary>
    [Range(1_000_000, 80_000_000)]
    public int ClockHz { get; set; } = 40_000_000;

    /// <summary>
    /// Data/command line, BCM numbering: GPIO5 (header pin 29). The display's three lines clash
    /// with nothing in the pin map (17, 18, 13, 22–25), SPI0 (7–11), I2C or the UART, and stay off
    /// GPIO12 and 19, the other PWM pins.
    /// </summary>
    [Range(0, 27)]
    public int DataCommandPin { get; set; } = 5;

    /// <summary>Reset line: GPIO6 (header pin 31).</summary>
    [Range(0, 27)]
    public int ResetPin { get; set; } = 6;

    /// <summary>Backlight line: GPIO26 (header pin 37), off whenever the screen is dark.</summary>
    [Range(0, 27)]
    public int BacklightPin { get; set; } = 26;

    /// <summary>The most preview frames a second sent to the panel (the camera may offer more).</summary>
    [Range(1, 60)]
    public int PreviewFramesPerSecond { get; set; } = 20;

    /// <summary>How long a verdict (accepted, cancelled, refused) stays before the screen goes dark.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan VerdictHold { get; set; } = TimeSpan.FromSeconds(5);
}
