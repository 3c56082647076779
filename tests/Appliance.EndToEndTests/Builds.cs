namespace Appliance.EndToEndTests;

/// <summary>Where this test run's builds of the suite's programs are, for tests that run them as real processes.</summary>
internal static class Builds
{
    public static string RepositoryRoot { get; } = Appliance.TestFixtures.RepositoryFolder.Root();

    /// <summary>The firmware as this test run built it (same configuration), with its native apphost.</summary>
    public static string Firmware() => Appliance.EndToEndKit.UpdateRig.FirmwareBuildOfThisRun();

    /// <summary>Runs the built firmware to its exit with these arguments (and environment): its exit status and all it wrote, error stream last.</summary>
    public static async Task<(int Exit, string Output)> RunFirmwareAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Path.Combine(Firmware(), "Appliance.Firmware"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The host's program (<c>appliance-host</c>) as this test run built it, beside its own appsettings.json.</summary>
    public static string Host()
    {
        var build = Path.Combine(RepositoryRoot, "host", "Appliance.Host.Web", "bin", Configuration, "net10.0", "appliance-host");
        Assert.True(File.Exists(build), $"no host build at {build}");
        return build;
    }

    /// <summary>The benchmarks as this test run built them.</summary>
    public static string Benchmarks()
    {
        var build = Path.Combine(RepositoryRoot, "tests", "Appliance.Benchmarks", "bin", Configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(build, "Appliance.Benchmarks")), $"no benchmarks build at {build}");
        return Path.Combine(build, "Appliance.Benchmarks");
    }

    /// <summary>The hardware tests' assembly as this test run built it (they run only on a Pi).</summary>
    public static string HardwareTests()
    {
        var build = Path.Combine(RepositoryRoot, "tests", "Appliance.HardwareTests", "bin", Configuration, "net10.0", "Appliance.HardwareTests.dll");
        Assert.True(File.Exists(build), $"no hardware tests build at {build}");
        return build;
    }

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
}
