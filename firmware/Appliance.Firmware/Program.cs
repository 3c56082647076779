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

// Anything else runs the firmware. Without a bundle (wiped, or never enrolled) it says what to do
// and exits 3, which the unit does not restart: nothing changes until someone enrols it.
var builder = Host.CreateApplicationBuilder(args);
var paths = FirmwarePaths.From(builder.Configuration);
if (!File.Exists(paths.BundlePath))
{
    Console.Error.WriteLine(CryptoEraser.ReadMarker(paths.DataFolder) is { } wiped
        ? $"This appliance was wiped at {wiped.WipedAt:O} ({wiped.Trigger}). It holds no keys: enrol a new bundle to use it again."
        : $"This appliance is not enrolled: no bundle at {paths.BundlePath}. Provision it on the host (appliance-host provision <device-id>), then enrol the package here: appliance-firmware enrol --package FILE.");
    return 3;
}

builder.AddApplianceFirmware();
await builder.Build().RunAsync();
return 0;
