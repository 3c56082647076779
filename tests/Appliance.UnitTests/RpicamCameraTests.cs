using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>The rpicam-still backend against fake executables that check their arguments and write known images.</summary>
public sealed class RpicamCameraTests : IDisposable
{
    private static readonly CameraSettings Settings = new(64, 48, TimeSpan.FromMilliseconds(8), 1.0, 1.8, 1.5, 8.0);
    private readonly TempFolder _folder = new("rpicam");
    private readonly CapturedFrame _truth = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, 64, 48, false);

    private string Scratch => _folder.Combine("scratch");

    /// <summary>Writes an executable shell script; <c>$OUT</c> is the value after <c>--output</c>.</summary>
    private string FakeExecutable(string body)
    {
        Directory.CreateDirectory(Scratch);
        var known = _folder.Combine("known.bmp");
        File.WriteAllBytes(known, Bmp24.Encode(_truth.Width, _truth.Height, _truth.Pixels));
        return FakeCameraTool.Write(_folder.Path, "rpicam-still", "--output", known, body);
    }

    private RpicamCamera Camera(string executable, TimeSpan? timeout = null) =>
        new(Options.Create(new RpicamOptions { Executable = executable, ScratchFolder = Scratch, Timeout = timeout ?? TimeSpan.FromSeconds(10) }), new FrameBufferPool(), TimeProvider.System, NullLogger<RpicamCamera>.Instance);

    [Fact]
    public async Task Capture_PassesFixedSettings_ReturnsTheImage_AndLeavesNoFileBehind()
    {
        // Everything fixed, nothing automatic; the output path is the only free argument.
        const string before = "--nopreview --immediate --output ";
        const string after = " --encoding bmp --width 64 --height 48 --shutter 8000 --gain 1 --awbgains 1.8,1.5 --lens-position 8 --denoise off";
        var exe = FakeExecutable($$"""
            if [[ "$args" != "{{before}}"*"{{after}}" ]]; then echo "unexpected arguments: $args" >&2; exit 64; fi
            cp "$KNOWN" "$OUT"
            """);

        var frame = await Camera(exe).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None);

        Assert.Equal(_truth.Pixels, frame.Pixels);
        Assert.Equal(LightingMode.CrossPolarised, frame.Lighting);
        Assert.Empty(Directory.EnumerateFiles(Scratch));
    }

    [Fact]
    public async Task NonZeroExit_IsAFaultNamingTheExitCodeAndStderr()
    {
        var exe = FakeExecutable("""echo "ERROR: *** no cameras available ***" >&2; exit 255""");

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(exe).CaptureAsync(LightingMode.NonPolarised, Settings, CancellationToken.None));

        Assert.Contains("exited with 255", fault.Message);
        Assert.Contains("no cameras available", fault.Message);
    }

    [Fact]
    public async Task HangingProcess_IsKilledAtTheTimeout_AndIsAFault()
    {
        var exe = FakeExecutable("""cp "$KNOWN" "$OUT"; exec sleep 30""");

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(exe, TimeSpan.FromMilliseconds(300)).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None));

        Assert.Contains("killed", fault.Message);
        Assert.Empty(Directory.EnumerateFiles(Scratch));
    }

    [Theory]
    [InlineData("""echo "this is not an image" > "$OUT" """, "not a BMP")]
    [InlineData("""head -c 2000 "$KNOWN" > "$OUT" """, "truncated")]
    [InlineData(""": """, "wrote no frame")]
    public async Task GarbageTruncatedOrMissingOutput_IsAFaultWithReason(string body, string reason)
    {
        var exe = FakeExecutable(body);

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(exe).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None));

        Assert.Contains(reason, fault.Message);
        Assert.Empty(Directory.EnumerateFiles(Scratch));
    }

    [Fact]
    public async Task MissingExecutable_IsAFault()
    {
        Directory.CreateDirectory(Scratch);

        var fault = await Assert.ThrowsAsync<CaptureFaultException>(() => Camera(_folder.Combine("no-such-rpicam")).CaptureAsync(LightingMode.CrossPolarised, Settings, CancellationToken.None));

        Assert.Contains("could not start", fault.Message);
    }

    [Fact]
    public void Bmp_RoundTripsOddWidths()
    {
        var frame = SimulatedCamera.Render(new SimulatedScene(), LightingMode.NonPolarised, 33, 17, false);

        Assert.True(Bmp24.TryDecode(new MemoryStream(Bmp24.Encode(33, 17, frame.Pixels)), out var w, out var h, out var rgb, out var error), error);
        Assert.Equal((33, 17), (w, h));
        Assert.Equal(frame.Pixels, rgb);
    }

    public void Dispose() => _folder.Dispose();
}
