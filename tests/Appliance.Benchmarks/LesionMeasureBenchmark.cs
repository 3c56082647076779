using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Host.Core.Imaging;
using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>lesion-measure</c>: lesions of varied shape, size and contrast (<see cref="SimulatedLesion"/>),
/// each seen at two visits through two different simulated cameras, each camera calibrated by
/// the appliance's own fit on its own renders of the cards, the lesion rendered through the same
/// optics as the cards; the head placed differently at each visit (shift up to 2 mm, rotation up
/// to 15°), the cameras' magnifications differing by up to 5 %, the lesion grown and its colour
/// changed between visits. The measurement and registration see only the calibrated frames and
/// the calibrations' scales; the truth (outline, colours, placements, the cameras' own scales)
/// stays here. The cameras are built from the calibration fitter's own model family (see
/// <see cref="SimulatedOptics"/>), so the colour figure is the noise floor of that chain, not an
/// estimate on real cameras; the calibration benchmark's spectral figures are that estimate.
/// </summary>
internal static class LesionMeasureBenchmark
{
    private const int Cameras = 4;

    public static void Run(int lesions, int width, int height)
    {
        var sheet = TargetSheet.Default();
        var cameras = Enumerable.Range(0, Cameras).Select(k => Camera(k, sheet, width, height)).ToList();
        var random = new Random(2026);
        var areaError = new List<double>();
        var diameterError = new List<double>();
        var registrationError = new List<double>();
        var colourError = new List<double>();
        var notFound = 0;
        var registrationMs = new List<double>();
        var referenceRegistrationMs = new List<double>();
        var referenceRegistrationError = new List<double>();
        var referenceNotConverged = 0;
        var referenceArea = new List<double>();
        var referenceDiameter = new List<double>();
        for (var n = 0; n < lesions; n++)
        {
            var lesion = SimulatedLesion.Draw(random);
            var (first, second) = (cameras[n % Cameras], cameras[(n + 1 + (n / Cameras % (Cameras - 1))) % Cameras]);
            var placementA = new HeadPlacement(Uniform(random, 1.5), Uniform(random, 1.5), Uniform(random, 7.5));
            var placementB = new HeadPlacement(Uniform(random, 1.5), Uniform(random, 1.5), placementA.RotationDegrees + Uniform(random, 15));
            var growth = 1 + (0.12 * random.NextDouble());
            var changed = new Lab(lesion.Colour.L - (6 * random.NextDouble()), lesion.Colour.A + Uniform(random, 3), lesion.Colour.B + Uniform(random, 3));

            var frameA = first.Correct(SimulatedLesionScene.Render(lesion, first.Optics, placementA, width, height));
            var frameB = second.Correct(SimulatedLesionScene.Render(lesion, second.Optics, placementB, width, height, growth, changed));
            LesionMeasure a, b;
            try
            {
                a = LesionMeasurement.Measure(frameA, width, height, first.PixelsPerMm);
                b = LesionMeasurement.Measure(frameB, width, height, second.PixelsPerMm);
            }
            catch (InvalidOperationException)
            {
                notFound++;
                continue;
            }

            areaError.Add(PercentError(a.AreaMm2, lesion.AreaMm2()));
            areaError.Add(PercentError(b.AreaMm2, lesion.AreaMm2(growth)));
            diameterError.Add(PercentError(a.LongestDiameterMm, lesion.LongestDiameterMm()));
            diameterError.Add(PercentError(b.LongestDiameterMm, lesion.LongestDiameterMm(growth)));
            foreach (var (frame, camera, grown) in new[] { (frameA, first, 1.0), (frameB, second, growth) })
            {
                if (OpenCvLesionReference.Measure(frame, width, height, camera.PixelsPerMm) is { } reference)
                {
                    referenceArea.Add(PercentError(reference.AreaMm2, lesion.AreaMm2(grown)));
                    referenceDiameter.Add(PercentError(reference.DiameterMm, lesion.LongestDiameterMm(grown)));
                }
            }

            colourError.Add(Math.Abs(DeltaE2000.Between(a.MeanColour, b.MeanColour) - DeltaE2000.Between(lesion.Colour, changed)));

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var registration = ImageRegistration.Register(
                frameA, width, height, frameB, width, height, second.PixelsPerMm / first.PixelsPerMm, (a, b));
            registrationMs.Add(clock.Elapsed.TotalMilliseconds);
            registrationError.Add(Residual(registration.Transform.Apply, placementA, placementB, first.Optics.PixelsPerMillimetre(width), second.Optics.PixelsPerMillimetre(width), width, height));

            clock.Restart();
            var ecc = OpenCvRegistrationReference.Register(frameA, frameB, width, height, second.PixelsPerMm / first.PixelsPerMm);
            referenceRegistrationMs.Add(clock.Elapsed.TotalMilliseconds);
            if (ecc is null)
            {
                referenceNotConverged++;
            }
            else
            {
                referenceRegistrationError.Add(Residual(ecc, placementA, placementB, first.Optics.PixelsPerMillimetre(width), second.Optics.PixelsPerMillimetre(width), width, height));
            }
        }

        DemoCycleBenchmark.Bench("lesion_area_error_pct", DemoCycleBenchmark.Median(areaError), "%");
        DemoCycleBenchmark.Bench("lesion_area_error_p90_pct", Percentile(areaError, 0.9), "%");
        DemoCycleBenchmark.Bench("lesion_diameter_error_pct", DemoCycleBenchmark.Median(diameterError), "%");
        DemoCycleBenchmark.Bench("lesion_diameter_error_p90_pct", Percentile(diameterError, 0.9), "%");
        DemoCycleBenchmark.Bench("reference_opencv_area_error_pct", DemoCycleBenchmark.Median(referenceArea), "%");
        DemoCycleBenchmark.Bench("reference_opencv_diameter_error_pct", DemoCycleBenchmark.Median(referenceDiameter), "%");
        DemoCycleBenchmark.Bench("registration_error_px", DemoCycleBenchmark.Median(registrationError), "px");
        DemoCycleBenchmark.Bench("registration_error_p90_px", Percentile(registrationError, 0.9), "px");
        DemoCycleBenchmark.Bench("lesion_colour_change_de00_error", DemoCycleBenchmark.Median(colourError), "dE00");
        DemoCycleBenchmark.Bench("lesion_colour_change_de00_error_p90", Percentile(colourError, 0.9), "dE00");
        DemoCycleBenchmark.Bench("registration_ms", DemoCycleBenchmark.Median(registrationMs), "ms");
        DemoCycleBenchmark.Bench("reference_opencv_ecc_ms", DemoCycleBenchmark.Median(referenceRegistrationMs), "ms");
        DemoCycleBenchmark.Bench("registration_vs_opencv_ecc_ratio", DemoCycleBenchmark.Median(registrationMs) / DemoCycleBenchmark.Median(referenceRegistrationMs), "ratio");
        if (referenceRegistrationError.Count > 0)
        {
            DemoCycleBenchmark.Bench("reference_opencv_ecc_error_px", DemoCycleBenchmark.Median(referenceRegistrationError), "px");
        }

        DemoCycleBenchmark.Bench("reference_opencv_ecc_not_converged", referenceNotConverged, "pairs");
        DemoCycleBenchmark.Bench("lesion_pairs", lesions - notFound, "pairs");
        DemoCycleBenchmark.Bench("lesion_not_found", notFound, "pairs");
    }

    /// <summary>A camera of its own (colour temperature, exposure, magnification, sensor mix, noise) and the calibration the appliance fits on it.</summary>
    private sealed record CalibratedCamera(SimulatedOptics Optics, CalibrationResult Calibration)
    {
        public double PixelsPerMm => Calibration.PixelsPerMillimetre;

        public byte[] Correct(byte[] rgb) =>
            Calibration.Correct(LinearImage.FromRgb24(rgb, Calibration.FlatField.Width, Calibration.FlatField.Height)).ToRgb24();
    }

    private static CalibratedCamera Camera(int k, TargetSheet sheet, int width, int height)
    {
        var defaults = new SimulatedOptics();
        var optics = defaults with
        {
            Seed = 100 + k,
            RingColourTemperature = (3900 + (250 * k), 5200),
            Exposure = 0.80 + (0.03 * k),
            // 24.4 to 25.6 mm across: magnifications up to 5 % apart.
            FieldOfViewMillimetres = 24.4 + (0.4 * k),
            Mix = [.. defaults.Mix.Select((row, r) => row.Select((v, c) => v * (1 + (0.04 * Math.Sin(k + (3 * r) + c)))).ToArray())],
        };
        var calibration = CalibrationFitter.Fit(
            SimulatedTarget.RenderWhite(optics, sheet, LightingMode.CrossPolarised, width, height),
            SimulatedTarget.RenderTarget(optics, sheet, LightingMode.CrossPolarised, width, height),
            width,
            height,
            sheet);
        return new CalibratedCamera(optics, calibration);
    }

    /// <summary>
    /// Mean distance, in the first frame's pixels, between where the registration puts points of
    /// the first frame on the second and where they truly are (through the skin, from both
    /// placements and the cameras' true scales), over a grid of the points that both frames see.
    /// </summary>
    private static double Residual(Func<double, double, (double X, double Y)> estimated, HeadPlacement a, HeadPlacement b, double ppmA, double ppmB, int width, int height)
    {
        double sum = 0;
        var count = 0;
        for (var y = 4; y < height; y += 8)
        {
            for (var x = 4; x < width; x += 8)
            {
                // Pixel x covers x to x + 1 on the renderer's frame: its centre is x + 0.5.
                var (sx, sy) = a.ToSkin(x + 0.5, y + 0.5, width, height, ppmA);
                var (tx, ty) = b.ToFrame(sx, sy, width, height, ppmB);
                (tx, ty) = (tx - 0.5, ty - 0.5);
                if (tx < 0 || ty < 0 || tx >= width || ty >= height)
                {
                    continue;
                }

                var (ex, ey) = estimated(x, y);
                // Scale the error back to the first frame's pixels.
                sum += Math.Sqrt(Math.Pow(ex - tx, 2) + Math.Pow(ey - ty, 2)) * ppmA / ppmB;
                count++;
            }
        }

        return sum / count;
    }

    private static double PercentError(double measured, double truth) => Math.Abs(measured - truth) / truth * 100;

    private static double Uniform(Random random, double halfWidth) => ((2 * random.NextDouble()) - 1) * halfWidth;

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
    }
}
