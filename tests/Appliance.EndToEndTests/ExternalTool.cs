using System.Diagnostics;

namespace Appliance.EndToEndTests;

/// <summary>Runs a command-line tool the tests check with (dciodvfy, dcmdump, ngspice, openscad, admesh, dot): its exit code and everything it printed.</summary>
internal static class ExternalTool
{
    public static async Task<(int Exit, string Output)> RunAsync(string file, string? workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? string.Empty };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await output + await error);
    }
}
