using Appliance.Firmware.Storage;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Protocol;
using Microsoft.Extensions.Configuration;

namespace Appliance.Firmware.Commands;

/// <summary>
/// <c>enrol --package FILE</c>: installs the bundle the host provisioned, with the code from
/// <c>APPLIANCE_ENROLMENT_CODE</c> or typed when asked (never on the command line: other users
/// can read a process's arguments). Runs without the firmware, before the service is started.
/// </summary>
public sealed class EnrolCommand(TextReader input, TextWriter output, TextWriter error, TimeProvider time)
{
    public const string Name = "enrol";

    public int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var packageIndex = Array.IndexOf(args, "--package");
        if (packageIndex < 0 || packageIndex + 1 >= args.Length)
        {
            error.WriteLine("usage: appliance-firmware enrol --package FILE   (the code from APPLIANCE_ENROLMENT_CODE, or typed when asked)");
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Where((_, i) => i != packageIndex && i != packageIndex + 1).ToArray())
            .Build();
        var paths = FirmwarePaths.From(configuration);
        var code = Environment.GetEnvironmentVariable("APPLIANCE_ENROLMENT_CODE");
        if (string.IsNullOrWhiteSpace(code))
        {
            error.Write("Enrolment code: ");
            code = input.ReadLine();
        }

        try
        {
            var result = BundleEnrolment.Enrol(paths.DataFolder, paths.BundlePath, args[packageIndex + 1], code ?? string.Empty, paths.StoreFileName, time);
            output.WriteLine($"Enrolled {result.DeviceId} (package {result.EnrolmentId}){(result.KeptStore ? "; the queued series are kept and will be sent with the new credentials" : string.Empty)}.");
            return 0;
        }
        catch (EnrolmentException ex)
        {
            error.WriteLine($"Enrolment failed: {ex.Message}. Nothing was changed.");
            return 1;
        }
    }
}
