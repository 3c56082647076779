using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Appliance.UnitTests;

/// <summary>
/// Our managed focus and exposure metrics (which must run on the Pi's arm64) against OpenCV's
/// on the same frames: they must rank frames the same way (Spearman ≥ 0.98). The frames include
/// glare, so the reference applies the same block highlight mask with OpenCV's own morphology.
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
    public void FocusScore_RanksFramesLikeOpenCvsLaplacianVariance()
    {
        var ours = new List<double>();
        var theirs = new List<double>();
        foreach (var frame in Frames())
        {
            ours.Add(FrameMeasurement.Of(frame).FocusScore);
            using var gray = Gray(frame);
            using var laplacian = new Mat();
            Cv2.Laplacian(gray, laplacian, MatType.CV_64F, ksize: 1);
            // The same definition as ours: leave out 8×8 blocks holding a highlight and their
            // neighbours, and the border. Blocks: the largest value in each, by OpenCV's own dilate.
            var size = FrameMeasurement.BlockSize;
            using var clipped = new Mat();
            Cv2.Threshold(gray, clipped, 249, 255, ThresholdTypes.Binary);
            using var blockMax = new Mat();
            Cv2.Dilate(clipped, blockMax, Cv2.GetStructuringElement(MorphShapes.Rect, new Size(size, size)), new Point(0, 0));
            using var blocks = new Mat();
            Cv2.Resize(blockMax[new Rect(0, 0, frame.Width, frame.Height)], blocks, new Size(frame.Width / size, frame.Height / size), interpolation: InterpolationFlags.Nearest);
            using var grown = new Mat();
            Cv2.Dilate(blocks, grown, Cv2.GetStructuringElement(MorphShapes.Rect, new Size(3, 3)));
            using var near = new Mat();
            Cv2.Resize(grown, near, new Size(frame.Width, frame.Height), interpolation: InterpolationFlags.Nearest);
            using var valid = new Mat();
            Cv2.BitwiseNot(near, valid);
            Cv2.Rectangle(valid, new Rect(0, 0, valid.Cols, valid.Rows), Scalar.All(0), thickness: 1);
            Cv2.MeanStdDev(laplacian, out _, out var stddev, valid);
            var mean = Cv2.Mean(gray).Val0;
            theirs.Add(stddev.Val0 * stddev.Val0 / (mean * mean));
        }

        var rho = Spearman(ours, theirs);
        output.WriteLine($"focus: Spearman {rho:F4} over {ours.Count} frames");
        Assert.True(rho >= 0.98, $"rank correlation {rho:F4}");
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
