using Appliance.Demo;
using Appliance.Firmware.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Appliance.CrashHarness <data folder>
// Runs the firmware; whenever it is armed, presses capture; prints "OPENING" before the store is
// opened, "STARTED" once running, and "ACCEPTED <series id>" for each accepted series once the
// state machine has stored it. Exit 3: the store would not open.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Appliance.CrashHarness <data folder>");
    return 2;
}

// Printed before the store is opened (and recovered): a kill after this lands in opening or recovery.
Console.WriteLine("OPENING");
using var appliance = EmbeddedSuite.BuildAppliance(args[0], LogLevel.Error, new Dictionary<string, string?>
{
    ["Capture:RingSettleTime"] = "00:00:00.005",
    // Small frames: the trials are about where the kill lands, not about pixels.
    ["Capture:Width"] = "320",
    ["Capture:Height"] = "240",
    ["Uplink:ReconnectDelayMin"] = "00:00:00.100",
    ["Uplink:ReconnectDelayMax"] = "00:00:01",
    ["Uplink:ReceiptTimeout"] = "00:00:03",
    ["Uplink:PollInterval"] = "00:00:00.200",
});
try
{
    await appliance.StartAsync();
}
catch (Exception ex) when (ex is LiteDB.LiteException or IOException or InvalidDataException)
{
    Console.WriteLine($"UNOPENABLE {ex.GetType().Name}: {ex.Message}");
    return 3;
}

Console.WriteLine("STARTED");
var coordinator = appliance.Services.GetRequiredService<CaptureCoordinator>();
var lifetime = appliance.Services.GetRequiredService<IHostApplicationLifetime>();
while (!lifetime.ApplicationStopping.IsCancellationRequested)
{
    if (coordinator.State == CaptureState.Armed)
    {
        var outcome = await coordinator.HandlePressAsync(new ButtonPress(DateTimeOffset.UtcNow), lifetime.ApplicationStopping);
        if (outcome.Kind == CaptureOutcomeKind.Accepted)
        {
            Console.WriteLine($"ACCEPTED {outcome.SeriesId}");
        }
    }

    await Task.Delay(5);
}

return 0;
