using System.Diagnostics;
using System.Globalization;
using Appliance.EndToEndKit;

namespace Appliance.EndToEndTests;

/// <summary>
/// The firmware built for the Pi's architecture, run under emulation as its own process against
/// an x64 host on loopback: its native parts (OpenSSL for mutual TLS, libsodium through NSec for
/// the bundle and its signatures, ICU, LiteDB's files) have to work on arm64 for any of this to.
/// The journey is the <c>arm64-smoke</c> benchmark's (<see cref="Arm64Journey"/>); this test is
/// that benchmark's quick run, so the two cannot drift apart and the emulation runs once.
/// </summary>
[Trait("Category", "Arm64")]
[Collection(Arm64Collection.Name)]
public sealed class Arm64FirmwareTests
{
    [Fact]
    public async Task TheArm64Firmware_Enrols_PassesItsSelfTest_Calibrates_FilesASeries_AndIsWipedRemotely()
    {
        var start = new ProcessStartInfo(Builds.Benchmarks()) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("arm64-smoke");
        start.ArgumentList.Add("--quick");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // The sysroot the first time on a machine (Debian's packages), the arm64 publish, then the emulated journey.
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(20));

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"arm64-smoke --quick exited {process.ExitCode}:\n{output}");
        var figures = BenchmarkQuickRunTests.Figures(output);
        Assert.Equal(1, figures["arm64_enrolled"]);
        Assert.Equal(1, figures["arm64_selftest_passed"]);
        Assert.Equal(1, figures["arm64_calibrated"]);
        Assert.Equal(1, figures["arm64_series_filed"]);
        Assert.Equal(1, figures["arm64_series_deleted_on_appliance"]);
        Assert.Equal(1, figures["arm64_wipe_confirmed"]);
        Assert.Equal(0, figures["arm64_unsent_lost_at_wipe"]);
        Assert.True(figures["arm64_firmware_start_ms"] > 0, output);
        // Trimmed: 38 MB when measured, 93 MB untrimmed before the IoT bindings and 99 MB with them.
        Assert.InRange(figures["arm64_publish_mb"], 10, 60);
        Assert.Contains($"arm64 firmware {Appliance.Firmware.Core.ApplianceIdentity.CurrentFirmwareVersion}:", output, StringComparison.Ordinal);
    }
}

/// <summary>
/// Emulated tests run alone, after the others: on two cores shared with the rest of the suite,
/// emulation's 15–20-fold slowdown grows past the firmware's own time limits.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64Collection
{
    public const string Name = "arm64 emulation";
}
