using Appliance.Firmware.Storage.Wipe;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Commands;

/// <summary>
/// <c>wipe --yes</c>: crypto-erases this appliance where it stands (the service stopped first)
/// and prints the signed report. Without <c>--yes</c> it only says what it would destroy.
/// </summary>
public sealed class WipeCommand(TextWriter output, TextWriter error)
{
    public const string Name = "wipe";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!args.Contains("--yes"))
        {
            error.WriteLine("wipe destroys this appliance's keys and every series not yet filed on the host. Run again with --yes.");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--yes").ToArray());
        builder.AddApplianceFirmware();
        using var host = builder.Build();
        var eraser = host.Services.GetRequiredService<CryptoEraser>();
        var report = await eraser.WipeAsync(cancellationToken);
        await eraser.TrashDeletion;
        output.WriteLine(System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(report)));
        return 0;
    }
}
