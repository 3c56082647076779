using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.EndToEndTests;

/// <summary>
/// Every benchmark, run in its quick mode as the real executable, must still run and print every
/// figure docs/benchmarks.md names, each a number: a benchmark that no longer runs fails CI
/// instead of being found broken months later. (The figures themselves are not judged here.)
/// <c>arm64-smoke</c>'s quick run is <see cref="Arm64FirmwareTests"/> and <c>ota-rollout</c>'s is <see cref="OtaRolloutBenchmarkTests"/>, which run alone and judge their figures.
/// </summary>
public sealed partial class BenchmarkQuickRunTests
{
    [GeneratedRegex(@"^BENCH (\S+) (-?[0-9]+(?:\.[0-9]+)?) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex Figure();

    public static TheoryData<string, string[]> Benchmarks() => new()
    {
        { "demo-cycle", ["demo_cycle_ms", "demo_cycle_to_deleted_ms", "reference_qos1_publish_ms", "demo_cycle_vs_publish_ratio", "demo_cycle_count"] },
        { "capture-series", ["capture_series_ms", "capture_series_max_ms", "qc_frame_ms", "capture_peak_ws_mb", "capture_idle_ws_mb", "capture_count", "reference_raw_aead_ms", "capture_series_vs_aead_ratio"] },
        { "seal", ["seal_frame_ms", "seal_mb_per_s", "reference_raw_aead_ms", "seal_vs_raw_ratio", "digest_frame_ms"] },
        { "wipe", ["wipe_ms_1", "wipe_ms_20", "store_write_ms", "store_write_12mp_ms", "reference_file_write_fsync_ms", "store_write_vs_file_ratio"] },
        { "crash", ["crash_trials", "crash_accepted", "crash_filed", "crash_lost", "crash_duplicated", "crash_unopenable", "crash_failed_starts", "crash_kills_while_opening", "crash_found_only_in_store"] },
        { "upload", ["upload_ms", "reference_mosquitto_pub_ms", "upload_mb_per_s", "upload_vs_mosquitto_ratio", "upload_after_last_chunk_ms"] },
        { "fleet-load", ["load_appliances", "load_filed", "load_lost", "load_duplicated", "load_total_ms", "load_p50_ms", "load_p95_ms"] },
        {
            "fleet-load-scaled", ["load_appliances", "load_hosts", "load_filed", "load_lost", "load_duplicated", "load_unaudited", "pacs_series_stored", "load_total_ms", "load_p50_ms", "load_p95_ms",
                "load_killed_host", "load_killed_filed", "load_killed_lost", "load_killed_duplicated", "load_killed_pacs_series_stored", "load_killed_p95_ms",
                "load_one_host_filed", "load_one_host_lost", "load_one_host_p50_ms", "load_one_host_p95_ms", "load_total_vs_one_host_ratio", "load_p95_vs_one_host_ratio"]
        },
        { "remote-wipe", ["remote_wipe_confirm_ms", "remote_wipe_confirm_max_ms", "reference_local_erase_ms", "remote_wipe_runs"] },
        { "calibration", ["de2000_mean_before", "de2000_mean_after", "de2000_max_after", "px_per_mm_error_pct", "emitter_cct_error_pct", "de2000_mean_after_nonpolarised", "de2000_mean_after_spectral", "de2000_max_after_spectral", "de2000_skin_max_after_spectral", "emitter_cct_error_pct_spectral"] },
        { "lesion-measure", ["lesion_area_error_pct", "lesion_diameter_error_pct", "registration_error_px", "lesion_colour_change_de00_error", "reference_opencv_area_error_pct", "reference_opencv_diameter_error_pct", "registration_ms", "reference_opencv_ecc_ms", "registration_vs_opencv_ecc_ratio", "reference_opencv_ecc_error_px", "lesion_pairs", "lesion_not_found"] },
        { "qc-accuracy", ["qc_precision_blurred", "qc_recall_blurred", "qc_precision_moved", "qc_recall_moved", "qc_precision_glare", "qc_recall_glare", "qc_min_precision", "qc_min_recall"] },
        { "qc-overview", ["qc_overview_real_precision_blurred", "qc_overview_real_recall_blurred", "qc_overview_real_precision_moved", "qc_overview_real_recall_moved", "qc_overview_real_min_precision", "qc_overview_real_min_recall", "qc_overview_real_false_retake_rate", "qc_overview_real_images", "qc_overview_tune_min_precision", "qc_overview_sim_min_precision", "qc_overview_sim_min_recall"] },
        { "preview", ["preview_fps", "preview_latency_ms", "reference_panel_write_ms", "preview_latency_vs_panel_write_ratio", "preview_spi_bytes_per_frame", "reference_spi_frame_ms", "preview_latency_with_spi_ms", "preview_fps_bus_limit", "preview_frames"] },
        { "qc-real", ["qc_real_precision_blurred", "qc_real_recall_blurred", "qc_real_precision_glare", "qc_real_recall_glare", "qc_real_min_precision", "qc_real_min_recall", "qc_real_false_retake_rate", "qc_real_images", "qc_real_tune_min_precision", "qc_real_rest_defocus_max_px", "qc_real_oracle_precision_blurred", "qc_real_oracle_recall_blurred"] },
    };

    [Theory]
    [MemberData(nameof(Benchmarks))]
    public async Task TheBenchmark_RunsInItsQuickMode_AndPrintsEveryFigure(string name, string[] figures)
    {
        var start = new ProcessStartInfo(Builds.Benchmarks()) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(name);
        start.ArgumentList.Add("--quick");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"{name} --quick exited {process.ExitCode}: {output}{await stderr}");
        var printed = Figures(output);
        var missing = figures.Where(f => !printed.ContainsKey(f)).ToList();
        Assert.True(missing.Count == 0, $"{name} did not print {string.Join(", ", missing)}:\n{output}");
        Assert.All(printed.Values, v => Assert.True(double.IsFinite(v)));
    }

    /// <summary>Every <c>BENCH figure value unit</c> line: figure to value.</summary>
    public static Dictionary<string, double> Figures(string output) =>
        Figure().Matches(output).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    [Fact]
    public async Task AnUnknownBenchmark_IsRefused_WithTheList()
    {
        var start = new ProcessStartInfo(Builds.Benchmarks()) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("no-such-benchmark");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("Run without arguments to list them", await stderr, StringComparison.Ordinal);
    }
}
