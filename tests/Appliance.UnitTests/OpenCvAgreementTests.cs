using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Appliance.UnitTests;

/// <summary>
/// Our managed focus and exposure metrics (which must run on the Pi's arm64) against OpenCV's
/// on the same frames: exposure must rank frames the same way (Spearman ≥ 0.98), and the edge
/// blur must recover the blur OpenCV's Gaussian applied.
/// </summary>
public sealed class OpenCvAgreementTests(ITestOutputHelper output)
{
    private static IEnumerable<CapturedFrame> Frames()
    {
        var seed = 1;
        foreach (var blur in new[] { 0, 1, 2, 3, 5 })
        {
            foreach (var brightness in new[] { 0.08, 0.3, 0.7, 1.0, 1.4 })
            {
                foreach (var lighting in CaptureSequencer.Order)
                {
                    yield return SimulatedCamera.Render(
                        new SimulatedScene { BlurRadius = blur, Brightness = brightness, Seed = seed++, LesionRadius = 0.1 + (0.02 * (seed % 5)) },
                        lighting,
                        240,
                        180,
                        false);
                }
            }
        }
    }

    private static Mat Gray(CapturedFrame frame)
    {
        using var rgb = Mat.FromPixelData(frame.Height, frame.Width, MatType.CV_8UC3, frame.Pixels);
        var gray = new Mat();
        Cv2.CvtColor(rgb, gray, ColorConversionCodes.RGB2GRAY);
        return gray;
    }

    [Fact]
    public void EdgeBlur_OfAStepEdgeBlurredByOpenCv_IsTheBlurApplied()
    {
        // Ideal steps (a square grid of them), blurred by OpenCV's Gaussian: each edge's width,
        // with the estimator's constant bias taken off, is the σ applied. (The frame's figure is a
        // low percentile of these, for real scenes; on this grid that percentile is the corners.)
        var measured = new List<(double Sigma, double Blur)>();
        foreach (var sigma in new[] { 0.0, 1.0, 1.5, 2.0, 3.0 })
        {
            using var grid = new Mat(480, 640, MatType.CV_32FC1, Scalar.All(60));
            for (var y = 0; y < 480; y += 48)
            {
                for (var x = (y / 48 % 2) * 48; x < 640; x += 96)
                {
                    Cv2.Rectangle(grid, new Rect(x, y, 48, 48), Scalar.All(180), thickness: -1);
                }
            }

            if (sigma > 0)
            {
                Cv2.GaussianBlur(grid, grid, new Size(0, 0), sigma);
            }

            var plane = new float[640 * 480];
            System.Runtime.InteropServices.Marshal.Copy(grid.Data, plane, 0, plane.Length);
            var widths = EdgeBlurEstimator.Edges(plane, 640, 480).Order().ToList();
            measured.Add((sigma, Math.Sqrt(widths[widths.Count / 2])));
        }

        var bias = measured[0].Blur;
        foreach (var (sigma, blur) in measured.Skip(1))
        {
            var defocus = EdgeBlurEstimator.DefocusBeyond(blur, bias);
            output.WriteLine($"σ {sigma}: edge blur {blur:F3}, beyond the unblurred {defocus:F3}");
            Assert.InRange(defocus, sigma * 0.95, sigma * 1.05);
        }
    }

    [Fact]
    public void EdgeBlur_RanksOpenCvsGaussianDefocus_OfTexturedSkin()
    {
        // Sharp simulated skin, defocused by OpenCV (the reference), measured by the firmware as a frame.
        var sharp = SimulatedCamera.Render(new SimulatedScene { Seed = 5 }, LightingMode.CrossPolarised, 640, 480, false);
        using var rgb = Mat.FromPixelData(480, 640, MatType.CV_8UC3, sharp.Pixels);
        var applied = new List<double>();
        var ours = new List<double>();
        foreach (var sigma in new[] { 0.0, 0.6, 1.0, 1.4, 1.8, 2.4, 3.0 })
        {
            using var blurred = new Mat();
            if (sigma > 0)
            {
                Cv2.GaussianBlur(rgb, blurred, new Size(0, 0), sigma);
            }
            else
            {
                rgb.CopyTo(blurred);
            }

            var pixels = new byte[640 * 480 * 3];
            System.Runtime.InteropServices.Marshal.Copy(blurred.Data, pixels, 0, pixels.Length);
            using var m = FrameMeasurement.Of(new CapturedFrame(LightingMode.CrossPolarised, 640, 480, CapturedFrame.Rgb24, pixels));
            applied.Add(sigma);
            ours.Add(m.EdgeBlur);
            output.WriteLine($"σ {sigma}: edge blur {m.EdgeBlur:F3}");
        }

        Assert.All(ours, b => Assert.True(double.IsFinite(b)));
        Assert.Equal(1.0, Spearman(applied, ours), 6);
    }

    [Fact]
    public void MeanLevel_RanksFramesLikeOpenCvsMean()
    {
        var ours = new List<double>();
        var theirs = new List<double>();
        foreach (var frame in Frames())
        {
            ours.Add(FrameMeasurement.Of(frame).Mean);
            using var gray = Gray(frame);
            theirs.Add(Cv2.Mean(gray).Val0);
        }

        var rho = Spearman(ours, theirs);
        output.WriteLine($"exposure: Spearman {rho:F4} over {ours.Count} frames; largest difference {ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max():F2} levels");
        Assert.True(rho >= 0.98, $"rank correlation {rho:F4}");
    }

    private static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var ra = Ranks(a);
        var rb = Ranks(b);
        var ma = ra.Average();
        var mb = rb.Average();
        double cov = 0, va = 0, vb = 0;
        for (var i = 0; i < ra.Length; i++)
        {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }

        return cov / Math.Sqrt(va * vb);
    }

    /// <summary>Ranks with ties averaged.</summary>
    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0;
            }

            i = j + 1;
        }

        return ranks;
    }
}
