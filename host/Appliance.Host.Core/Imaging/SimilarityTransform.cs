namespace Appliance.Host.Core.Imaging;

/// <summary>
/// Where a point of one frame lies in another: scaled by <see cref="Scale"/> and turned by
/// <see cref="RotationDegrees"/> about the first frame's centre, then shifted. Two visits of a
/// lesion differ by this much when the head was placed a little differently (shift, turn) on a
/// camera of slightly different magnification (scale).
/// </summary>
public sealed record SimilarityTransform(double Scale, double RotationDegrees, double ShiftX, double ShiftY, double CentreX, double CentreY)
{
    public static SimilarityTransform Identity(int width, int height) => new(1, 0, 0, 0, width / 2.0, height / 2.0);

    /// <summary>From the linear parameters the registration solves for: x' = (1+a)X − bY + cx + tx, y' = bX + (1+a)Y + cy + ty.</summary>
    internal static SimilarityTransform FromLinear(double a, double b, double tx, double ty, double cx, double cy) =>
        new(Math.Sqrt(((1 + a) * (1 + a)) + (b * b)), Math.Atan2(b, 1 + a) * 180 / Math.PI, tx, ty, cx, cy);

    internal (double A, double B) Linear
    {
        get
        {
            var radians = RotationDegrees * Math.PI / 180;
            return ((Scale * Math.Cos(radians)) - 1, Scale * Math.Sin(radians));
        }
    }

    public (double X, double Y) Apply(double x, double y)
    {
        var (a, b) = Linear;
        var (dx, dy) = (x - CentreX, y - CentreY);
        return (((1 + a) * dx) - (b * dy) + CentreX + ShiftX, (b * dx) + ((1 + a) * dy) + CentreY + ShiftY);
    }
}
