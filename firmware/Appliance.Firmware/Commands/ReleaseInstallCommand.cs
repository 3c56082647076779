using Appliance.Firmware.Storage;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Firmware.Updates;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Configuration;

namespace Appliance.Firmware.Commands;

/// <summary>
/// <c>install-release PACKAGE</c>: an admin at the appliance (or <c>deploy-pi.sh</c>) installs a
/// release package from a file, with the firmware stopped: checked against the release keys in
/// this appliance's bundle, its architecture and model and its security floor, then installed
/// beside the current release and made current. Exit 0 installed (or already current), 1 refused.
/// </summary>
public sealed class ReleaseInstallCommand(TextWriter output, TextWriter error)
{
    public const string Name = "install-release";

    public int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            error.WriteLine("usage: appliance-firmware install-release PACKAGE   (with the firmware stopped)");
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args[1..])
            .Build();
        var paths = FirmwarePaths.From(configuration);
        var options = UpdateOptions.From(configuration);
        ReleaseKeyRing keys;
        try
        {
            // The bundle's keys, carried forward by the rotations this appliance has accepted over its link.
            keys = new ReleaseKeyRing(ProvisioningBundleLoader.Load(paths.BundlePath).ReleaseAnchors(), options.Root);
        }
        catch (InvalidOperationException ex)
        {
            error.WriteLine($"Not installed: {ex.Message}");
            return 1;
        }

        if (keys.Current.Keys.Count == 0)
        {
            error.WriteLine("Not installed: this appliance's bundle trusts no release key. Trust one on the host (appliance-host release trust) and provision the appliance again.");
            return 1;
        }

        if (options.ResolveModel() is not { } model)
        {
            error.WriteLine($"Not installed: the board is not a Raspberry Pi 4 or 5 by {options.DeviceTreeModel}; set Update:Model.");
            return 1;
        }

        if (!File.Exists(args[0]))
        {
            error.WriteLine($"Not installed: there is no {args[0]}.");
            return 1;
        }

        var target = options.Target() with { Model = model };
        // The firmware is stopped: no job can be armed while this runs.
        var result = new ReleaseInstaller(new ReleaseLayout(options.Root), keys.Current.Trust, target, busy: () => false).Install(args[0]);
        if (result.Outcome is ReleaseInstallOutcome.Installed or ReleaseInstallOutcome.AlreadyCurrent)
        {
            output.WriteLine($"{result.Reason}.");
            return 0;
        }

        error.WriteLine($"Refused ({result.Refusal}): {result.Reason}. Nothing was changed.");
        return 1;
    }
}
