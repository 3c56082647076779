using OpenCvSharp;

namespace Appliance.TestData;

/// <summary>
/// An independent measurement of the same lesion, by OpenCV's own routines rather than ours:
/// lightness from OpenCV's CIELAB conversion, a 5×5 Gaussian blur, Otsu's threshold, the outer
/// contour that holds the frame's centre (else the largest), filled; area by counting its pixels
/// and the longest diameter across its convex hull. The benchmark reports its errors beside
/// ours on the same frames, so a figure of ours is read against a reference measured in the
/// same run.
/// </summary>
public static class OpenCvLesionReference
{
    /// <returns>Area in mm² and longest diameter in mm, or null when OpenCV finds no contour.</returns>
    public static (double AreaMm2, double DiameterMm)? Measure(byte[] rgb, int width, int height, double pixelsPerMillimetre)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        using var colour = Mat.FromPixelData(height, width, MatType.CV_8UC3, rgb);
        using var lab = new Mat();
        Cv2.CvtColor(colour, lab, ColorConversionCodes.RGB2Lab);
        using var lightness = lab.ExtractChannel(0);
        using var smooth = new Mat();
        Cv2.GaussianBlur(lightness, smooth, new Size(5, 5), 0);
        using var dark = new Mat();
        Cv2.Threshold(smooth, dark, 0, 255, ThresholdTypes.BinaryInv | ThresholdTypes.Otsu);
        Cv2.FindContours(dark, out var contours, out _, RetrievalModes.External, ContourApproximationModes.ApproxNone);
        if (contours.Length == 0)
        {
            return null;
        }

        var centre = new Point2f(width / 2f, height / 2f);
        var chosen = contours.FirstOrDefault(c => Cv2.PointPolygonTest(c, centre, false) >= 0) ?? contours.MaxBy(c => Cv2.ContourArea(c))!;
        using var filled = new Mat(height, width, MatType.CV_8UC1, Scalar.All(0));
        Cv2.DrawContours(filled, [chosen], 0, Scalar.All(255), -1);
        var hull = Cv2.ConvexHull(chosen);
        double longest = 0;
        for (var i = 0; i < hull.Length; i++)
        {
            for (var j = i + 1; j < hull.Length; j++)
            {
                longest = Math.Max(longest, Math.Sqrt(Math.Pow(hull[i].X - hull[j].X, 2) + Math.Pow(hull[i].Y - hull[j].Y, 2)));
            }
        }

        // Contour points are pixel centres: one pixel more spans the outer edges.
        return (Cv2.CountNonZero(filled) / (pixelsPerMillimetre * pixelsPerMillimetre), (longest + 1) / pixelsPerMillimetre);
    }
}
