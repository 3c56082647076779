using System.Diagnostics;
using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>calibration</c>: the whole fit (flat-field from the white card, patches read, colour
/// correction chosen and fitted, scale measured) on simulated frames of the built-in target
/// through a camera with a known colour distortion (a channel mix and cross-channel terms),
/// 35 % vignetting and sensor noise; CIEDE2000 on the six held-out patches before and after,
/// and the scale and the ring's colour temperature against the simulator's truth. Medians over
/// noise seeds, per ring.
/// </summary>
internal static class CalibrationBenchmark
{
    public static void Run(int seeds, int width, int height)
    {
        var sheet = TargetSheet.Default();
        foreach (var ring in new[] { LightingMode.CrossPolarised, LightingMode.NonPolarised })
        {
            var before = new List<double>();
            var after = new List<double>();
            var worst = new List<double>();
            var scaleError = new List<double>();
            var fitMs = new List<double>();
            var temperatureError = new List<double>();
            for (var seed = 1; seed <= seeds; seed++)
            {
                var optics = new SimulatedOptics { Seed = seed };
                var white = SimulatedTarget.RenderWhite(optics, sheet, ring, width, height);
                var target = SimulatedTarget.RenderTarget(optics, sheet, ring, width, height);
                var clock = Stopwatch.StartNew();
                var result = CalibrationFitter.Fit(white, target, width, height, sheet);
                fitMs.Add(clock.Elapsed.TotalMilliseconds);
                before.Add(result.Before.MeanDeltaE);
                after.Add(result.After.MeanDeltaE);
                worst.Add(result.After.MaxDeltaE);
                var truth = optics.PixelsPerMillimetre(width);
                scaleError.Add(Math.Abs(result.PixelsPerMillimetre - truth) / truth * 100);
                // The characterisation the calibration's own code measures under a daylight booth, never the simulator's matrix.
                var characterisation = optics.MeasuredCharacterisation(sheet, width, height);
                var kelvin = CalibrationProfiles.EmitterTemperature(result.RecordedWhite, characterisation) ?? double.NaN;
                var trueKelvin = ring == LightingMode.CrossPolarised ? optics.RingColourTemperature.CrossPolarised : optics.RingColourTemperature.NonPolarised;
                temperatureError.Add(Math.Abs(kelvin - trueKelvin) / trueKelvin * 100);
            }

            // The cross-polarised ring is the one dermatologists read colour from: its figures carry the plain names.
            var suffix = ring == LightingMode.CrossPolarised ? string.Empty : "_nonpolarised";
            DemoCycleBenchmark.Bench($"de2000_mean_before{suffix}", DemoCycleBenchmark.Median(before), "dE00");
            DemoCycleBenchmark.Bench($"de2000_mean_after{suffix}", DemoCycleBenchmark.Median(after), "dE00");
            DemoCycleBenchmark.Bench($"de2000_max_after{suffix}", DemoCycleBenchmark.Median(worst), "dE00");
            DemoCycleBenchmark.Bench($"px_per_mm_error_pct{suffix}", DemoCycleBenchmark.Median(scaleError), "%");
            DemoCycleBenchmark.Bench($"emitter_cct_error_pct{suffix}", DemoCycleBenchmark.Median(temperatureError), "%");
            DemoCycleBenchmark.Bench($"calibration_fit_ms{suffix}", DemoCycleBenchmark.Median(fitMs), "ms");
        }

        RunSpectral(seeds);
    }

    /// <summary>
    /// The same fit on frames from a spectral simulation outside the fitter's model family
    /// (<see cref="SpectralCalibrationSimulation"/>): the estimate of real accuracy, where the
    /// figures above are the noise floor of a camera built from the fitter's own terms.
    /// </summary>
    private static void RunSpectral(int seeds)
    {
        var data = SpectralData.Load();
        foreach (var ring in new[] { LightingMode.CrossPolarised, LightingMode.NonPolarised })
        {
            var runs = Enumerable.Range(1, seeds).Select(seed => SpectralCalibrationSimulation.Run(data, ring, seed)).ToList();
            var suffix = ring == LightingMode.CrossPolarised ? string.Empty : "_nonpolarised";
            DemoCycleBenchmark.Bench($"de2000_mean_after_spectral{suffix}", DemoCycleBenchmark.Median([.. runs.Select(r => r.MeanDeltaE)]), "dE00");
            DemoCycleBenchmark.Bench($"de2000_max_after_spectral{suffix}", DemoCycleBenchmark.Median([.. runs.Select(r => r.MaxDeltaE)]), "dE00");
            DemoCycleBenchmark.Bench($"de2000_skin_max_after_spectral{suffix}", DemoCycleBenchmark.Median([.. runs.Select(r => r.WorstSkinDeltaE)]), "dE00");
            DemoCycleBenchmark.Bench($"emitter_cct_error_pct_spectral{suffix}", DemoCycleBenchmark.Median([.. runs.Select(r => Math.Abs(r.EmitterKelvin - r.TrueKelvin) / r.TrueKelvin * 100)]), "%");
            DemoCycleBenchmark.Bench($"spectral_held_out_patches{suffix}", runs[0].HeldOutPatches, "patches");
        }
    }
}
