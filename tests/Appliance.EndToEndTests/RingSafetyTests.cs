using System.Device.Gpio;
using Appliance.Demo;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

public sealed class RingSafetyTests
{
    [Fact]
    public async Task StoppingTheFirmwareWhileARingIsLit_TurnsItOff_BeforeAnyServiceBeginsToStop()
    {
        var slow = new SlowToStop();
        using var folder = new TempFolder("ring-safety");
        // A 12 MP frame takes the simulator seconds to render, and the ring stays lit while it
        // does: time enough to stop the firmware in the middle of it, however loaded the machine.
        await using var suite = await EmbeddedSuite.StartAsync(
            folder.Path,
            applianceSettings: new Dictionary<string, string?>
            {
                ["Capture:Width"] = "4056",
                ["Capture:Height"] = "3040",
                ["Capture:MaxRingOnTime"] = "00:00:10",
            },
            // Hosted services stop in reverse order: this one stops before the capture worker and
            // takes its time, as the uplink does when the broker is slow to answer on a loaded machine.
            applianceServices: services => services.AddHostedService(_ => slow));
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-9", "shin", ConsentScope.DirectCare, CancellationToken.None);
        var driver = suite.ApplianceService<SimulatedGpioDriver>();
        var pins = suite.ApplianceService<IOptions<PinMapOptions>>().Value;
        var lit = EmbeddedSuite.WaitFor<PinWrite>(h => driver.Written += h, h => driver.Written -= h, w => w.Pin == pins.CrossPolarisedRingPin && w.Value == PinValue.High);

        suite.PressButton();
        await lit.WaitAsync(TimeSpan.FromSeconds(10));
        // The same stop path SIGTERM takes through the Generic Host's lifetime.
        var stopAt = TimeProvider.System.GetUtcNow();
        Assert.Equal(PinValue.High, driver.ValueOf(pins.CrossPolarisedRingPin)); // still mid-frame
        await suite.Appliance.StopAsync(CancellationToken.None);

        // Not a wall-clock limit: the ring is off before the first service (this slow one, the
        // uplink's stand-in) has even begun to stop, whatever else the machine is doing.
        var off = driver.Timeline.First(w => w.Pin == pins.CrossPolarisedRingPin && w.Value == PinValue.Low && w.At >= stopAt);
        Assert.True(off.At <= slow.StopStartedAt, $"ring went off {(off.At - slow.StopStartedAt).TotalMilliseconds:F1} ms after the first service began to stop");
        Assert.Equal(PinValue.Low, driver.ValueOf(pins.CrossPolarisedRingPin));
        Assert.Equal(PinValue.Low, driver.ValueOf(pins.NonPolarisedRingPin));
    }

    private sealed class SlowToStop : Microsoft.Extensions.Hosting.IHostedService
    {
        public DateTimeOffset StopStartedAt { get; private set; } = DateTimeOffset.MaxValue;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            StopStartedAt = TimeProvider.System.GetUtcNow();
            return Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
    }
}
