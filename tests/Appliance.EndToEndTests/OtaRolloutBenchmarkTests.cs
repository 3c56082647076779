using System.Diagnostics;

namespace Appliance.EndToEndTests;

/// <summary>
/// <c>ota-rollout --quick</c> as the real executable: three firmware processes, every bad package
/// tried on one, a release that cannot start sent to the canary, the good release to all three
/// while they capture. Its figures are judged, not only printed: everything refused, the canary
/// rolled back, every appliance updated, no series lost or filed twice.
/// </summary>
public sealed class OtaRolloutBenchmarkTests
{
    [Fact]
    public async Task TheQuickRollout_RefusesEveryBadPackage_RollsBackTheBadRelease_AndUpdatesEveryoneLosingNothing()
    {
        var start = new ProcessStartInfo(Builds.Benchmarks(), ["ota-rollout", "--quick"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"ota-rollout --quick exited {process.ExitCode}: {output}{await stderr}");
        var figures = BenchmarkQuickRunTests.Figures(output);
        Assert.Equal(3, figures["ota_appliances"]);
        Assert.Equal(figures["ota_appliances"], figures["ota_appliances_updated"]);
        Assert.True(figures["ota_bad_packages_tried"] >= 5, output);
        Assert.Equal(figures["ota_bad_packages_tried"], figures["ota_bad_packages_refused"]);
        Assert.Equal(1, figures["ota_rolled_back"]);
        Assert.True(figures["ota_series_accepted"] > 0, output);
        Assert.Equal(0, figures["ota_series_lost"]);
        Assert.Equal(0, figures["ota_series_duplicated"]);
        Assert.True(figures["ota_rollout_ms"] > 0 && figures["ota_plain_qos1_ms"] > 0, output);
        Assert.True(double.IsFinite(figures["ota_rollout_vs_plain_qos1"]), output);
    }
}
