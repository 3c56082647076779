using System.Device.Gpio;
using System.Net.Sockets;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Firmware.Devices.Simulated;
using Appliance.TestFixtures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>A simulated appliance's hands: the control panel's commands, and the socket that takes them.</summary>
public sealed class SimulatedControlTests
{
    private readonly SimulatedGpioDriver _driver = new(TimeProvider.System);
    private readonly SimulatedCamera _camera = new();
    private readonly PinMapOptions _pins = new();

    private SimulatedControlPanel Panel() => new(_driver, _camera, Options.Create(_pins), TimeProvider.System);

    [Fact]
    public async Task EnterOrTap_PressesAndReleasesTheCaptureButton_AndTheCardsGoUnderTheHead()
    {
        var panel = Panel();
        var edges = new List<PinEventTypes>();
        using var gpio = new GpioController(_driver);
        gpio.OpenPin(_pins.CaptureButtonPin, PinMode.InputPullUp);
        gpio.RegisterCallbackForPinValueChangedEvent(_pins.CaptureButtonPin, PinEventTypes.Falling | PinEventTypes.Rising, (_, e) => edges.Add(e.ChangeType));

        Assert.StartsWith("ok", await panel.RunAsync("", CancellationToken.None), StringComparison.Ordinal);
        Assert.StartsWith("ok", await panel.RunAsync(" TAP ", CancellationToken.None), StringComparison.Ordinal);
        Assert.Equal([PinEventTypes.Falling, PinEventTypes.Rising, PinEventTypes.Falling, PinEventTypes.Rising], edges);

        await panel.RunAsync("white", CancellationToken.None);
        Assert.Equal(SimulatedCard.WhiteCard, _camera.Card);
        await panel.RunAsync("target", CancellationToken.None);
        Assert.Equal(SimulatedCard.Target, _camera.Card);
        await panel.RunAsync("skin", CancellationToken.None);
        Assert.Equal(SimulatedCard.None, _camera.Card);
    }

    [Fact]
    public async Task TheTerminal_TakesLinesAsPresses_AndStopsAtOnce_ThoughNoKeyIsEverPressed()
    {
        using var keyboard = new Keyboard();
        using var terminal = new SimulatedTerminal(Panel(), NullLogger<SimulatedTerminal>.Instance, new TerminalInput(keyboard, IsTerminal: true));
        await terminal.StartAsync(CancellationToken.None);
        keyboard.Type("white");
        await Poll.UntilAsync(() => _camera.Card == SimulatedCard.WhiteCard, "the typed line reaches the panel");

        // A terminal read cannot be cancelled; the appliance stopping (a wipe, Ctrl+C) must not wait for one.
        await terminal.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WithoutATerminal_NothingIsRead()
    {
        using var keyboard = new Keyboard();
        using var terminal = new SimulatedTerminal(Panel(), NullLogger<SimulatedTerminal>.Instance, new TerminalInput(keyboard, IsTerminal: false));
        await terminal.StartAsync(CancellationToken.None);
        await terminal.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, keyboard.Reads);
        await terminal.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Hold_KeepsTheButtonDownPastTheLongPress()
    {
        _pins.LongPress = TimeSpan.FromMilliseconds(100);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var panel = new SimulatedControlPanel(_driver, _camera, Options.Create(_pins), time);

        var holding = panel.RunAsync("h", CancellationToken.None);
        Assert.Equal(PinValue.Low, _driver.ValueOf(_pins.CaptureButtonPin));
        time.Advance(_pins.LongPress + TimeSpan.FromMilliseconds(500));

        Assert.Equal("ok: held", await holding);
        Assert.Equal(PinValue.High, _driver.ValueOf(_pins.CaptureButtonPin));
    }

    [Fact]
    public async Task Screen_WritesWhatTheScreenShows_OrSaysThereIsNone()
    {
        using var folder = new Appliance.TestFixtures.TempFolder("control-screen");
        using var gpio = new GpioController(_driver);
        var screen = new Appliance.Firmware.Devices.Screen.ScreenOptions { Enabled = true };
        var display = new SimulatedSpiDisplay(gpio, screen.DataCommandPin, screen.BacklightPin, screen.ClockHz);
        using var panel = new Appliance.Firmware.Devices.Screen.Ili9341Panel(display, gpio, screen);
        var canvas = new Appliance.Firmware.Devices.Screen.ScreenCanvas();
        var whole = new System.Drawing.Rectangle(0, 0, 320, 240);
        canvas.Fill(whole, Appliance.Firmware.Devices.Screen.ScreenCanvas.Rgb565(255, 0, 0));
        var bytes = new byte[320 * 240 * 2];
        canvas.CopyRegion(whole, bytes);
        panel.Write(whole, bytes);
        panel.Backlight(true);
        var file = folder.Combine("screen.bmp");

        var answer = await new SimulatedControlPanel(_driver, _camera, Options.Create(_pins), TimeProvider.System, display, file).RunAsync("screen", CancellationToken.None);

        Assert.Equal($"ok: the screen as it is now, in {file}", answer);
        using (var bmp = File.OpenRead(file))
        {
            Assert.True(Bmp24.TryDecode(bmp, out var width, out var height, out var rgb, out var error), error);
            Assert.Equal((320, 240), (width, height));
            Assert.Equal((255, 0, 0), (rgb[0], rgb[1], rgb[2]));
        }

        Assert.Equal("ok: this appliance has no screen (Screen:Enabled is false)", await Panel().RunAsync("screen", CancellationToken.None));
    }

    [Fact]
    public async Task AnUnknownCommand_IsAnsweredWithWhatIsUnderstood_AndPressesNothing()
    {
        var edges = 0;
        using var gpio = new GpioController(_driver);
        gpio.OpenPin(_pins.CaptureButtonPin, PinMode.InputPullUp);
        gpio.RegisterCallbackForPinValueChangedEvent(_pins.CaptureButtonPin, PinEventTypes.Falling | PinEventTypes.Rising, (_, _) => edges++);

        var answer = await Panel().RunAsync("fire", CancellationToken.None);

        Assert.StartsWith("unknown command", answer, StringComparison.Ordinal);
        Assert.Contains("tap", answer, StringComparison.Ordinal);
        Assert.Equal(0, edges);
        Assert.Equal(SimulatedCard.None, _camera.Card);
    }

    [Fact]
    public async Task ASocketThatCannotBeMade_IsLogged_AndDoesNotStopTheAppliance()
    {
        using var folder = new TempFolder("control-socket-missing");
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(l => l.AddProvider(logs));
        using var socket = new SimulatedControlSocket(folder.Combine("no-such-folder", "control.sock"), Panel(), factory.CreateLogger<SimulatedControlSocket>());

        await socket.StartAsync(CancellationToken.None);
        await socket.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(socket.ExecuteTask.IsCompletedSuccessfully);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 1803 && e.Message.Contains("no control socket", StringComparison.Ordinal));
        logs.ExpectError("no control socket");
    }

    [Fact]
    public async Task TheSocket_IsTheServiceUsersAlone_AndAnswersEachCommandWithALine()
    {
        using var folder = new TempFolder("control-socket");
        var path = folder.Combine("control.sock");
        using var socket = new SimulatedControlSocket(path, Panel(), NullLogger<SimulatedControlSocket>.Instance);
        await socket.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => File.Exists(path), "the socket is bound");

        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await using var stream = new NetworkStream(client);
            using var reader = new StreamReader(stream);
            await using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
            await writer.WriteLineAsync("white");
            Assert.Equal("ok: white card under the head", await reader.ReadLineAsync());
            await writer.WriteLineAsync("nonsense");
            Assert.StartsWith("unknown command", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(SimulatedCard.WhiteCard, _camera.Card);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        await socket.StopAsync(CancellationToken.None);
        Assert.False(File.Exists(path), "the socket goes with the appliance");
    }

    /// <summary>A keyboard as the console reads it: ReadLine blocks until a line is typed, and cannot be interrupted.</summary>
    private sealed class Keyboard : TextReader
    {
        private readonly System.Collections.Concurrent.BlockingCollection<string> _lines = [];

        public int Reads { get; private set; }

        public void Type(string line) => _lines.Add(line);

        public override string? ReadLine()
        {
            Reads++;
            return _lines.Take();
        }

        protected override void Dispose(bool disposing)
        {
            // The blocked read is left waiting, as a console's would be; the collection is not disposed under it.
            base.Dispose(disposing);
        }
    }
}
