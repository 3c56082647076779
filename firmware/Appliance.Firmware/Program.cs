using Appliance.Firmware;
using Appliance.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// `enrol --package FILE`: install the bundle the host provisioned (code from APPLIANCE_ENROLMENT_CODE or stdin).
// `wipe --yes`: crypto-erase this appliance locally (stop the service first).
// Anything else runs the firmware; a wiped appliance says so and exits 3 (the unit does not restart it).
// Whatever this process writes is for the service user alone, whoever started it and with what umask.
OwnerOnlyFiles.RestrictNewFiles();
if (args.Length > 0 && args[0] == "enrol")
{
    return Enrol(args[1..]);
}

if (args.Length > 0 && args[0] == "wipe")
{
    if (!args.Contains("--yes"))
    {
        Console.Error.WriteLine("wipe destroys this appliance's keys and every series not yet filed on the host. Run again with --yes.");
        return 2;
    }

    var wipeBuilder = Host.CreateApplicationBuilder(args.Where(a => a is not "wipe" and not "--yes").ToArray());
    wipeBuilder.AddApplianceFirmware();
    using var wipeHost = wipeBuilder.Build();
    var eraser = wipeHost.Services.GetRequiredService<CryptoEraser>();
    var report = await eraser.WipeAsync(CancellationToken.None);
    await eraser.TrashDeletion;
    Console.WriteLine(System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(report)));
    return 0;
}

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

static int Enrol(string[] args)
{
    var packageIndex = Array.IndexOf(args, "--package");
    if (packageIndex < 0 || packageIndex + 1 >= args.Length)
    {
        Console.Error.WriteLine("usage: appliance-firmware enrol --package FILE   (the code from APPLIANCE_ENROLMENT_CODE, or typed when asked)");
        return 2;
    }

    var configuration = new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args.Where((_, i) => i != packageIndex && i != packageIndex + 1).ToArray())
        .Build();
    var paths = FirmwarePaths.From(configuration);
    // Never on the command line: other users can read a process's arguments.
    var code = Environment.GetEnvironmentVariable("APPLIANCE_ENROLMENT_CODE");
    if (string.IsNullOrWhiteSpace(code))
    {
        Console.Error.Write("Enrolment code: ");
        code = Console.ReadLine();
    }

    try
    {
        var result = BundleEnrolment.Enrol(paths.DataFolder, paths.BundlePath, args[packageIndex + 1], code ?? string.Empty, paths.StoreFileName, TimeProvider.System);
        Console.WriteLine($"Enrolled {result.DeviceId} (package {result.EnrolmentId}){(result.KeptStore ? "; the queued series are kept and will be sent with the new credentials" : string.Empty)}.");
        return 0;
    }
    catch (EnrolmentException ex)
    {
        Console.Error.WriteLine($"Enrolment failed: {ex.Message}. Nothing was changed.");
        return 1;
    }
}
