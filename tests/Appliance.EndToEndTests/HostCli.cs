using System.Diagnostics;
using System.Text.Json;

namespace Appliance.EndToEndTests;

/// <summary>The host's command line as an admin runs it: the built <c>appliance-host</c> in its own process.</summary>
internal static class HostCli
{
    public static async Task<JsonElement> RunJsonAsync(int expectedExit, params string[] arguments)
    {
        var (exit, output) = await RunAsync(arguments);
        Assert.True(exit == expectedExit, output);
        return JsonDocument.Parse(exit == 0 ? output : output[..(output.LastIndexOf('}') + 1)]).RootElement.Clone();
    }

    public static async Task<JsonElement> RunJsonAsync(params string[] arguments)
    {
        var (exit, output) = await RunAsync(arguments);
        Assert.True(exit == 0, output);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    public static async Task<(int Exit, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "appliance-host")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var error = await stderr;
        return (process.ExitCode, process.ExitCode == 0 ? await stdout : await stdout + error);
    }
}
