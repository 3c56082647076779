using System.Device.Gpio;
using System.Device.Spi;
using Appliance.Firmware.Devices.Screen;

namespace Appliance.Firmware.Devices.Simulated;

/// <summary>
/// A simulated ILI9341 at the end of a simulated SPI bus: it takes every byte the driver sends,
/// reads the data/command line as each transfer goes (low: a command, high: its parameters or
/// pixels), and does what the controller's datasheet says to its frame memory: column and page
/// address set (2Ah, 2Bh) open a window, memory write (2Ch) fills it row by row, display on and
/// off (29h, 28h). So what the real driver sent can be seen as the picture it would make.
/// </summary>
public sealed class SimulatedSpiDisplay(GpioController gpio, int dataCommandPin, int backlightPin, int clockHz) : SpiDevice
{
    private const byte ColumnAddressSet = 0x2A;
    private const byte PageAddressSet = 0x2B;
    private const byte MemoryWrite = 0x2C;
    private const byte DisplayOff = 0x28;
    private const byte DisplayOn = 0x29;

    private readonly Lock _lock = new();
    private readonly byte[] _memory = new byte[Ili9341Panel.ControllerWidth * Ili9341Panel.ControllerHeight * 2];
    private readonly List<byte> _parameters = [];
    private byte _command;
    private int _x0, _x1 = Ili9341Panel.ControllerWidth - 1, _y0, _y1 = Ili9341Panel.ControllerHeight - 1;
    private int _x, _y, _half;
    private byte _high;
    private bool _displayOn;
    private long _bytes;

    public override SpiConnectionSettings ConnectionSettings { get; } = new(0, 0) { ClockFrequency = clockHz, Mode = SpiMode.Mode3 };

    /// <summary>Every byte sent so far: with the clock, the time the bus was busy.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    /// <summary>Raised after each transfer, with the bytes received so far (for waits on a frame's last byte).</summary>
    public event Action<long>? Received;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var data = gpio.Read(dataCommandPin) == PinValue.High;
        long total;
        lock (_lock)
        {
            foreach (var b in buffer)
            {
                if (data)
                {
                    Data(b);
                }
                else
                {
                    Command(b);
                }
            }

            total = _bytes += buffer.Length;
        }

        Received?.Invoke(total);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override byte ReadByte() => throw new NotSupportedException("the display is write-only here");

    public override void Read(Span<byte> buffer) => throw new NotSupportedException("the display is write-only here");

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Write(writeBuffer);

    /// <summary>
    /// What a person would see, as landscape RGB24 (320×240): black when the display is off or its
    /// backlight is; otherwise the frame memory, turned as the panel is mounted.
    /// </summary>
    public byte[] Picture()
    {
        var rgb = new byte[ScreenCanvas.Width * ScreenCanvas.Height * 3];
        lock (_lock)
        {
            if (!_displayOn || gpio.Read(backlightPin) == PinValue.Low)
            {
                return rgb;
            }

            for (var y = 0; y < ScreenCanvas.Height; y++)
            {
                for (var x = 0; x < ScreenCanvas.Width; x++)
                {
                    // Landscape (x, y) is the controller's column 239 − y, row x.
                    var i = ((x * Ili9341Panel.ControllerWidth) + (Ili9341Panel.ControllerWidth - 1 - y)) * 2;
                    var value = (_memory[i] << 8) | _memory[i + 1];
                    var o = ((y * ScreenCanvas.Width) + x) * 3;
                    rgb[o] = (byte)(((value >> 11) & 0x1F) * 255 / 31);
                    rgb[o + 1] = (byte)(((value >> 5) & 0x3F) * 255 / 63);
                    rgb[o + 2] = (byte)((value & 0x1F) * 255 / 31);
                }
            }
        }

        return rgb;
    }

    private void Command(byte command)
    {
        _command = command;
        _parameters.Clear();
        switch (command)
        {
            case MemoryWrite:
                (_x, _y, _half) = (_x0, _y0, 0);
                break;
            case DisplayOn:
                _displayOn = true;
                break;
            case DisplayOff:
                _displayOn = false;
                break;
        }
    }

    private void Data(byte value)
    {
        switch (_command)
        {
            case ColumnAddressSet or PageAddressSet:
                _parameters.Add(value);
                if (_parameters.Count == 4)
                {
                    var (start, end) = ((_parameters[0] << 8) | _parameters[1], (_parameters[2] << 8) | _parameters[3]);
                    if (_command == ColumnAddressSet)
                    {
                        (_x0, _x1) = (start, Math.Min(end, Ili9341Panel.ControllerWidth - 1));
                    }
                    else
                    {
                        (_y0, _y1) = (start, Math.Min(end, Ili9341Panel.ControllerHeight - 1));
                    }
                }

                break;
            case MemoryWrite:
                Pixel(value);
                break;
        }
    }

    /// <summary>Two bytes a pixel, high first, along the window's rows; past its last row, ignored (as the controller does).</summary>
    private void Pixel(byte value)
    {
        if (_half == 0)
        {
            (_high, _half) = (value, 1);
            return;
        }

        _half = 0;
        if (_y > _y1 || _y >= Ili9341Panel.ControllerHeight)
        {
            return;
        }

        var i = ((_y * Ili9341Panel.ControllerWidth) + _x) * 2;
        (_memory[i], _memory[i + 1]) = (_high, value);
        if (++_x > _x1)
        {
            (_x, _y) = (_x0, _y + 1);
        }
    }
}
