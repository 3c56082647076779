using Appliance.Calibration;

namespace Appliance.Host.Core.Imaging;

/// <summary>A lesion as measured on one calibrated frame: where it is, how big, what colour.</summary>
/// <param name="Mask">Row-major, true inside the lesion.</param>
public sealed record LesionMeasure(
    int Width,
    int Height,
    bool[] Mask,
    int AreaPixels,
    double AreaMm2,
    double LongestDiameterMm,
    Lab MeanColour,
    double CentroidX,
    double CentroidY)
{
    /// <summary>
    /// The outline as a polygon to correct by hand: along <paramref name="corners"/> rays from the
    /// centre, the farthest point still in the lesion, as fractions of the frame (x of the width,
    /// y of the height). A lesion that folds back on a ray is simplified; the hand corrects it.
    /// </summary>
    public (double[] X, double[] Y) OutlinePolygon(int corners = 48)
    {
        var (xs, ys) = (new double[corners], new double[corners]);
        for (var k = 0; k < corners; k++)
        {
            var angle = 2 * Math.PI * k / corners;
            var (dx, dy) = (Math.Cos(angle), Math.Sin(angle));
            double reach = 0;
            for (var r = 0.0; ; r += 0.5)
            {
                var (x, y) = ((int)Math.Floor(CentroidX + 0.5 + (dx * r)), (int)Math.Floor(CentroidY + 0.5 + (dy * r)));
                if (x < 0 || y < 0 || x >= Width || y >= Height)
                {
                    break;
                }

                reach = Mask[(y * Width) + x] ? r + 0.5 : reach;
            }

            (xs[k], ys[k]) = (Math.Clamp((CentroidX + 0.5 + (dx * reach)) / Width, 0, 1), Math.Clamp((CentroidY + 0.5 + (dy * reach)) / Height, 0, 1));
        }

        return (xs, ys);
    }

    /// <summary>A copy of <paramref name="rgb"/> with the outline drawn on it in cyan (the pixels of the lesion with a neighbour outside it).</summary>
    public byte[] DrawOutline(byte[] rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        var copy = (byte[])rgb.Clone();
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var i = (y * Width) + x;
                var edge = Mask[i] && (x == 0 || y == 0 || x == Width - 1 || y == Height - 1 || !Mask[i - 1] || !Mask[i + 1] || !Mask[i - Width] || !Mask[i + Width]);
                if (edge)
                {
                    (copy[3 * i], copy[(3 * i) + 1], copy[(3 * i) + 2]) = ((byte)0, (byte)255, (byte)255);
                }
            }
        }

        return copy;
    }
}
