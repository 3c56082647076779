using System.Device.Gpio;
using Appliance.Demo;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Appliance.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Appliance.IntegrationTests;

public sealed class RingSafetyTests
{
    [Fact]
    public async Task StoppingTheFirmwareWhileARingIsLit_TurnsItOffWithin50ms()
    {
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
            applianceServices: services => services.AddHostedService<SlowToStop>());
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

        var off = driver.Timeline.First(w => w.Pin == pins.CrossPolarisedRingPin && w.Value == PinValue.Low && w.At >= stopAt);
        Assert.True(off.At - stopAt < TimeSpan.FromMilliseconds(50), $"ring went off {(off.At - stopAt).TotalMilliseconds:F1} ms after stop");
        Assert.Equal(PinValue.Low, driver.ValueOf(pins.CrossPolarisedRingPin));
        Assert.Equal(PinValue.Low, driver.ValueOf(pins.NonPolarisedRingPin));
    }

    private sealed class SlowToStop : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
    }
}
