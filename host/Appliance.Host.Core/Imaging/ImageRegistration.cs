namespace Appliance.Host.Core.Imaging;

/// <summary>How one visit's frame lies on another's, and how well the two then agree.</summary>
/// <param name="Residual">Root mean square difference of the normalised grey frames where they overlap, after registration (0 is identical).</param>
/// <param name="Overlap">The fraction of the first frame that the second covers.</param>
public sealed record Registration(SimilarityTransform Transform, double Residual, double Overlap);

/// <summary>
/// Registers two frames of the same skin by a similarity transform (shift, rotation, scale),
/// estimated from the images alone, on the skin around the lesion (the lesion itself, which may
/// have grown or changed, is left out when its outline is given, else it would pull the scale
/// toward its growth and hide the very change being looked for): a coarse-to-fine Gauss–Newton (Lucas–Kanade) fit of the grey
/// frames over an image pyramid, with residuals down-weighted where the two differ for real (a
/// lesion that grew or darkened: Huber weights), started at each rotation of a coarse grid from
/// the scale the two calibrations expect and the shift that lays one lesion's centre on the other's.
/// </summary>
public static class ImageRegistration
{
    /// <summary>The coarse grid covers this many degrees either way; the head is rarely turned more between visits.</summary>
    private const double RotationSearchDegrees = 24;

    private const double RotationStepDegrees = 3;

    private const int CoarsestWidth = 80;

    /// <param name="fixedRgb">The frame the other is laid onto (rgb24).</param>
    /// <param name="movingRgb">The frame found on it (rgb24).</param>
    /// <param name="expectedScale">Pixels per millimetre of the moving frame over the fixed one's, from the calibrations.</param>
    /// <param name="lesions">The lesion as measured on each frame, if it was found on both: its centres start the search and its outlines are left out of the fit.</param>
    public static Registration Register(
        byte[] fixedRgb, int fixedWidth, int fixedHeight, byte[] movingRgb, int movingWidth, int movingHeight,
        double expectedScale = 1, (LesionMeasure Fixed, LesionMeasure Moving)? lesions = null)
    {
        ArgumentNullException.ThrowIfNull(fixedRgb);
        ArgumentNullException.ThrowIfNull(movingRgb);
        // The outline is grown by 2 % of the frame's width: the blurred rim and a little growth beyond the outline found.
        var margin = Math.Max(2, fixedWidth / 50);
        var fixedPyramid = Pyramid(GreyImage.FromRgb24(fixedRgb, fixedWidth, fixedHeight).Excluding(lesions?.Fixed.Mask, margin).Normalised());
        var movingPyramid = Pyramid(GreyImage.FromRgb24(movingRgb, movingWidth, movingHeight).Excluding(lesions?.Moving.Mask, margin).Normalised());
        var levels = Math.Min(fixedPyramid.Count, movingPyramid.Count);
        var (cx, cy) = (fixedWidth / 2.0, fixedHeight / 2.0);

        // The moving frame's centre lands on the fixed one's, or the lesions' centres on each other.
        var (mcx, mcy) = (movingWidth / 2.0, movingHeight / 2.0);
        var coarse = 1 << (levels - 1);
        (double A, double B, double Tx, double Ty, double Cost) best = (0, 0, 0, 0, double.MaxValue);
        for (var degrees = -RotationSearchDegrees; degrees <= RotationSearchDegrees + 1e-9; degrees += RotationStepDegrees)
        {
            var radians = degrees * Math.PI / 180;
            var (a, b) = ((expectedScale * Math.Cos(radians)) - 1, expectedScale * Math.Sin(radians));
            // Shifts here are beyond centre onto centre.
            var (tx, ty) = (0.0, 0.0);
            if (lesions is { } pair)
            {
                var (f, m) = ((X: pair.Fixed.CentroidX, Y: pair.Fixed.CentroidY), (X: pair.Moving.CentroidX, Y: pair.Moving.CentroidY));
                // Rotating about the frame's centre moves the lesion too: the shift puts it where it was found.
                var (fx, fy) = (f.X - cx, f.Y - cy);
                (tx, ty) = (m.X - mcx - (((1 + a) * fx) - (b * fy)), m.Y - mcy - ((b * fx) + ((1 + a) * fy)));
            }

            var start = (a, b, tx / coarse, ty / coarse);
            var (fitted, cost) = Refine(fixedPyramid[levels - 1], movingPyramid[levels - 1], start, iterations: 8);
            if (cost < best.Cost)
            {
                best = (fitted.A, fitted.B, fitted.Tx, fitted.Ty, cost);
            }
        }

        var parameters = (best.A, best.B, best.Tx, best.Ty);
        double residual = 0;
        for (var level = levels - 1; level >= 0; level--)
        {
            (parameters, residual) = Refine(fixedPyramid[level], movingPyramid[level], parameters, iterations: 30);
            if (level > 0)
            {
                parameters = (parameters.A, parameters.B, parameters.Tx * 2, parameters.Ty * 2);
            }
        }

        var transform = SimilarityTransform.FromLinear(parameters.A, parameters.B, parameters.Tx + mcx - cx, parameters.Ty + mcy - cy, cx, cy);
        return new Registration(transform, Math.Sqrt(residual), Overlap(transform, fixedWidth, fixedHeight, movingWidth, movingHeight));
    }

    /// <summary>
    /// The moving frame resampled onto the fixed frame's pixels through <paramref name="transform"/>
    /// (bilinear): what the overlay shows. Where the moving frame does not reach, mid-grey.
    /// </summary>
    public static byte[] Resample(byte[] movingRgb, int movingWidth, int movingHeight, SimilarityTransform transform, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(movingRgb);
        ArgumentNullException.ThrowIfNull(transform);
        var output = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (mx, my) = transform.Apply(x, y);
                var (x0, y0) = ((int)Math.Floor(mx), (int)Math.Floor(my));
                var o = ((y * width) + x) * 3;
                if (x0 < 0 || y0 < 0 || x0 >= movingWidth - 1 || y0 >= movingHeight - 1)
                {
                    output[o] = output[o + 1] = output[o + 2] = 128;
                    continue;
                }

                var (fx, fy) = (mx - x0, my - y0);
                var i = ((y0 * movingWidth) + x0) * 3;
                var below = i + (movingWidth * 3);
                for (var c = 0; c < 3; c++)
                {
                    var top = movingRgb[i + c] + ((movingRgb[i + 3 + c] - movingRgb[i + c]) * fx);
                    var bottom = movingRgb[below + c] + ((movingRgb[below + 3 + c] - movingRgb[below + c]) * fx);
                    output[o + c] = (byte)Math.Clamp(Math.Round(top + ((bottom - top) * fy)), 0, 255);
                }
            }
        }

        return output;
    }

    private static List<GreyImage> Pyramid(GreyImage image)
    {
        var levels = new List<GreyImage> { image };
        while (levels[^1].Width / 2 >= CoarsestWidth && levels[^1].Height / 2 >= CoarsestWidth / 2)
        {
            levels.Add(levels[^1].Half());
        }

        return levels;
    }

    /// <summary>
    /// Gauss–Newton on the similarity's linear parameters about the fixed frame's centre (at this
    /// level), Huber-weighted; the translation is in this level's pixels. Returns the parameters
    /// and the weighted mean squared residual.
    /// </summary>
    private static ((double A, double B, double Tx, double Ty) Parameters, double Cost) Refine(
        GreyImage fixedImage, GreyImage moving, (double A, double B, double Tx, double Ty) p, int iterations)
    {
        var (cx, cy) = (fixedImage.Width / 2.0, fixedImage.Height / 2.0);
        var (mcx, mcy) = (moving.Width / 2.0, moving.Height / 2.0);
        var cost = double.MaxValue;
        var huber = 1.0;
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var h = new double[4, 4];
            var g = new double[4];
            double sum = 0, weights = 0, absolute = 0;
            var count = 0;
            for (var y = 2; y < fixedImage.Height - 2; y++)
            {
                var dy = y - cy;
                for (var x = 2; x < fixedImage.Width - 2; x++)
                {
                    var dx = x - cx;
                    if (fixedImage.Excluded is { } excluded && excluded[(y * fixedImage.Width) + x])
                    {
                        continue;
                    }

                    var (wx, wy) = (((1 + p.A) * dx) - (p.B * dy) + mcx + p.Tx, (p.B * dx) + ((1 + p.A) * dy) + mcy + p.Ty);
                    if (!moving.Sample(wx, wy, out var value, out var gx, out var gy) || moving.IsExcluded(wx, wy))
                    {
                        continue;
                    }

                    var r = value - fixedImage.Values[(y * fixedImage.Width) + x];
                    var magnitude = Math.Abs(r);
                    var weight = magnitude <= huber ? 1 : huber / magnitude;
                    Span<double> j = [(gx * dx) + (gy * dy), (-gx * dy) + (gy * dx), gx, gy];
                    for (var row = 0; row < 4; row++)
                    {
                        g[row] += weight * j[row] * r;
                        for (var column = row; column < 4; column++)
                        {
                            h[row, column] += weight * j[row] * j[column];
                        }
                    }

                    sum += weight * r * r;
                    weights += weight;
                    absolute += magnitude;
                    count++;
                }
            }

            if (count < 16)
            {
                return (p, double.MaxValue);
            }

            cost = sum / weights;
            // Huber's threshold follows the spread of the residuals: most pixels are skin that matches.
            huber = Math.Max(0.05, 1.5 * absolute / count);
            for (var row = 0; row < 4; row++)
            {
                for (var column = 0; column < row; column++)
                {
                    h[row, column] = h[column, row];
                }
            }

            if (Solve(h, g) is not { } step)
            {
                break;
            }

            p = (p.A - step[0], p.B - step[1], p.Tx - step[2], p.Ty - step[3]);
            if (Math.Abs(step[2]) + Math.Abs(step[3]) < 1e-3 && (Math.Abs(step[0]) + Math.Abs(step[1])) * fixedImage.Width < 1e-3)
            {
                break;
            }
        }

        return (p, cost);
    }

    /// <summary>Gaussian elimination with partial pivoting; null when the system is singular (a featureless frame).</summary>
    private static double[]? Solve(double[,] h, double[] g)
    {
        const int N = 4;
        var m = new double[N, N + 1];
        for (var r = 0; r < N; r++)
        {
            for (var c = 0; c < N; c++)
            {
                m[r, c] = h[r, c];
            }

            m[r, N] = g[r];
        }

        for (var c = 0; c < N; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < N; r++)
            {
                pivot = Math.Abs(m[r, c]) > Math.Abs(m[pivot, c]) ? r : pivot;
            }

            if (Math.Abs(m[pivot, c]) < 1e-12)
            {
                return null;
            }

            for (var k = 0; k <= N; k++)
            {
                (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            }

            for (var r = 0; r < N; r++)
            {
                if (r != c)
                {
                    var factor = m[r, c] / m[c, c];
                    for (var k = c; k <= N; k++)
                    {
                        m[r, k] -= factor * m[c, k];
                    }
                }
            }
        }

        return [.. Enumerable.Range(0, N).Select(r => m[r, N] / m[r, r])];
    }

    private static double Overlap(SimilarityTransform transform, int width, int height, int movingWidth, int movingHeight)
    {
        var inside = 0;
        var total = 0;
        for (var y = 0; y < height; y += 4)
        {
            for (var x = 0; x < width; x += 4)
            {
                var (mx, my) = transform.Apply(x, y);
                inside += mx >= 0 && my >= 0 && mx < movingWidth && my < movingHeight ? 1 : 0;
                total++;
            }
        }

        return (double)inside / total;
    }
}
