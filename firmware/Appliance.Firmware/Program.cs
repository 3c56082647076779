using Appliance.Firmware;
using Appliance.Firmware.Commands;
using Appliance.Firmware.Storage;
using Appliance.Firmware.Storage.Wipe;
using Appliance.Protocol;
using Microsoft.Extensions.Hosting;

// Whatever this process writes is for the service user alone, whoever started it and with what umask.
OwnerOnlyFiles.RestrictNewFiles();
switch (args.FirstOrDefault())
{
    case EnrolCommand.Name:
        return new EnrolCommand(Console.In, Console.Out, Console.Error, TimeProvider.System).Run(args[1..]);
    case WipeCommand.Name:
        return await new WipeCommand(Console.Out, Console.Error).RunAsync(args[1..], CancellationToken.None);
}

// Anything else runs the firmware; a wiped appliance says so and exits 3 (the unit does not restart it).
var builder = Host.CreateApplicationBuilder(args);
var paths = FirmwarePaths.From(builder.Configuration);
if (!File.Exists(paths.BundlePath) && CryptoEraser.ReadMarker(paths.DataFolder) is { } wiped)
{
    Console.Error.WriteLine($"This appliance was wiped at {wiped.WipedAt:O} ({wiped.Trigger}). It holds no keys: enrol a new bundle to use it again.");
    return 3;
}

builder.AddApplianceFirmware();
await builder.Build().RunAsync();
return 0;
