using Appliance.Firmware;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// `wipe --yes`: crypto-erase this appliance locally (stop the service first). Anything else runs the firmware.
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
builder.AddApplianceFirmware();
await builder.Build().RunAsync();
return 0;
