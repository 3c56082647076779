using OpenCvSharp;

namespace Appliance.TestData;

/// <summary>
/// An independent registration of the same two frames, by OpenCV's own routine rather than ours:
/// the enhanced correlation coefficient (<c>findTransformECC</c>, Evangelidis and Psarakis) fitting
/// a Euclidean motion between the grey frames, coarse to fine over three levels of a pyramid,
/// started from the scale the calibrations give. It does not leave the lesion out, which ours
/// does; the benchmark reports its time and error beside ours, measured in the same run.
/// </summary>
public static class OpenCvRegistrationReference
{
    private const int Levels = 3;

    /// <returns>
    /// Where a pixel (x, y) of the first frame lies in the second, or null when ECC does not
    /// converge.
    /// </returns>
    public static Func<double, double, (double X, double Y)>? Register(byte[] firstRgb, byte[] secondRgb, int width, int height, double expectedScale)
    {
        ArgumentNullException.ThrowIfNull(firstRgb);
        ArgumentNullException.ThrowIfNull(secondRgb);
        using var first = Grey(firstRgb, width, height);
        using var second = Grey(secondRgb, width, height);
        // Euclidean motion has no scale: the second frame is brought to the first's scale first, as
        // ours starts from the same expected scale.
        using var scaled = new Mat();
        Cv2.Resize(second, scaled, new Size(0, 0), 1 / expectedScale, 1 / expectedScale, InterpolationFlags.Linear);
        using var warp = Mat.Eye(2, 3, MatType.CV_32FC1).ToMat();
        try
        {
            for (var level = Levels - 1; level >= 0; level--)
            {
                var factor = 1.0 / (1 << level);
                using var a = new Mat();
                using var b = new Mat();
                Cv2.Resize(first, a, new Size(0, 0), factor, factor, InterpolationFlags.Area);
                Cv2.Resize(scaled, b, new Size(0, 0), factor, factor, InterpolationFlags.Area);
                Cv2.FindTransformECC(a, b, warp, MotionTypes.Euclidean, new TermCriteria(CriteriaTypes.Count | CriteriaTypes.Eps, 100, 1e-5), null, 5);
                if (level > 0)
                {
                    // The next level has twice the pixels: the shift doubles, the rotation stays.
                    warp.Set(0, 2, warp.At<float>(0, 2) * 2);
                    warp.Set(1, 2, warp.At<float>(1, 2) * 2);
                }
            }
        }
        catch (OpenCVException)
        {
            return null; // ECC did not converge
        }

        var (m00, m01, m02) = (warp.At<float>(0, 0), warp.At<float>(0, 1), warp.At<float>(0, 2));
        var (m10, m11, m12) = (warp.At<float>(1, 0), warp.At<float>(1, 1), warp.At<float>(1, 2));
        return (x, y) => (((m00 * x) + (m01 * y) + m02) * expectedScale, ((m10 * x) + (m11 * y) + m12) * expectedScale);
    }

    private static Mat Grey(byte[] rgb, int width, int height)
    {
        using var colour = Mat.FromPixelData(height, width, MatType.CV_8UC3, rgb);
        using var grey = new Mat();
        Cv2.CvtColor(colour, grey, ColorConversionCodes.RGB2GRAY);
        var floats = new Mat();
        grey.ConvertTo(floats, MatType.CV_32FC1, 1 / 255.0);
        return floats;
    }
}
