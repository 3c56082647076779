using OpenCvSharp;

namespace Appliance.UnitTests;

/// <summary>Our own conversions against OpenCV's, the independent reference: the largest difference in any channel of any pixel.</summary>
internal static class OpenCvReference
{
    public static int WorstDifference(byte[] oursRgb24, Mat theirsRgb)
    {
        theirsRgb.GetArray(out Vec3b[] pixels);
        var worst = 0;
        for (var i = 0; i < pixels.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(oursRgb24[i * 3] - pixels[i].Item0));
            worst = Math.Max(worst, Math.Abs(oursRgb24[(i * 3) + 1] - pixels[i].Item1));
            worst = Math.Max(worst, Math.Abs(oursRgb24[(i * 3) + 2] - pixels[i].Item2));
        }

        return worst;
    }
}
