using Appliance.Firmware;
using Appliance.Firmware.Commands;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Storage;
using Appliance.Firmware.Storage.Wipe;
using Appliance.Firmware.Updates;
using Appliance.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// Whatever this process writes is for the service user alone, whoever started it and with what umask.
OwnerOnlyFiles.RestrictNewFiles();
switch (args.FirstOrDefault())
{
    case EnrolCommand.Name:
        return new EnrolCommand(Console.In, Console.Out, Console.Error, TimeProvider.System).Run(args[1..]);
    case WipeCommand.Name:
        return await new WipeCommand(Console.Out, Console.Error).RunAsync(args[1..], CancellationToken.None);
    case ReleaseInstallCommand.Name:
        return new ReleaseInstallCommand(Console.Out, Console.Error).Run(args[1..]);
    case SelfTestCommand.Name:
        return await new SelfTestCommand(Console.Out, TimeProvider.System).RunAsync(args[1..], CancellationToken.None);
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
// On a Pi set up wrongly, one sentence per missing part and exit 4, which the unit does not
// restart either: a chip, a channel or a camera tool does not appear by trying again.
if (builder.Configuration.GetValue(DevicesOptions.Section + ":" + nameof(DevicesOptions.Mode), DevicesMode.Simulated) == DevicesMode.Real
    && DeviceParts.From(builder.Configuration).Missing() is { Count: > 0 } missing)
{
    Console.Error.WriteLine($"This appliance is missing {missing.Count} part{(missing.Count == 1 ? string.Empty : "s")} its configuration names:");
    foreach (var part in missing)
    {
        Console.Error.WriteLine($"  - {part}");
    }

    Console.Error.WriteLine("Fix them, then check the whole appliance with: appliance-firmware selftest");
    // A new release on trial that cannot run here goes back to the one before it, which the unit
    // restarts (exit 1); exit 4 would leave the appliance stopped on the release that cannot run.
    var layout = new ReleaseLayout(UpdateOptions.From(builder.Configuration).Root);
    if (ReleaseHealthGate.RollBackUnfit(layout, ReleaseLayout.VersionIn(AppContext.BaseDirectory), $"missing {string.Join("; ", missing)}"))
    {
        Console.Error.WriteLine($"This release was on trial: {layout.CurrentVersion} is restored, and starts next.");
        return 1;
    }

    return 4;
}

await builder.Build().RunAsync();
return 0;
