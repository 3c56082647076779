using Appliance.Host.Core.Imaging;
using Appliance.TestData;

namespace Appliance.UnitTests;

/// <summary>
/// The hand-corrected outline: a polygon's pixels are those whose centres it holds (its area to
/// within its perimeter's half-pixels), it is refused when it does not lie on the frame, and a
/// lesion measured within the polygon the measurement itself offers for correction keeps its area.
/// </summary>
public sealed class LesionOutlineTests
{
    private static LesionOutline Outline(double[] x, double[] y) => new(x, y, "dr.lee", DateTimeOffset.UnixEpoch);

    [Fact]
    public void ASquaresPixels_AreThoseWhoseCentresItHolds()
    {
        // Corners at 10 and 30 px on a 40×40 frame: exactly 20×20 pixel centres inside.
        var mask = Outline([0.25, 0.75, 0.75, 0.25], [0.25, 0.25, 0.75, 0.75]).Rasterise(40, 40);

        Assert.Equal(400, mask.Count(m => m));
        Assert.True(mask[(10 * 40) + 10]);
        Assert.False(mask[(9 * 40) + 10]);
        Assert.False(mask[(10 * 40) + 30]);
    }

    [Fact]
    public void ATriangle_HoldsHalfItsBoundingBox()
    {
        var mask = Outline([0.0, 1.0, 0.0], [0.0, 0.0, 1.0]).Rasterise(200, 200);

        Assert.InRange(mask.Count(m => m), 19_800, 20_200);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.2 }, new[] { 0.1, 0.2 }, "at least three corners")]
    [InlineData(new[] { 0.1, 0.2, 1.01 }, new[] { 0.1, 0.2, 0.3 }, "must lie on the frame")]
    [InlineData(new[] { 0.1, 0.2, double.NaN }, new[] { 0.1, 0.2, 0.3 }, "must lie on the frame")]
    [InlineData(new[] { 0.1, 0.2, 0.3 }, new[] { 0.1, 0.2 }, "do not pair up")]
    public void AnOutlineOffTheFrameOrTooSmall_IsRefused(double[] x, double[] y, string reason)
    {
        Assert.Contains(reason, Outline(x, y).Problem(), StringComparison.Ordinal);
        Assert.Null(Outline([0.1, 0.9, 0.5], [0.1, 0.1, 0.9]).Problem());
    }

    [Fact]
    public void TheOfferedOutline_MeasuredAsItStands_KeepsTheLesionsArea()
    {
        var (rgb, truth) = SyntheticLesions.Render(320, 240, 70, 45, 20, (224, 172, 140), (96, 60, 42));
        var found = LesionMeasurement.Measure(rgb, 320, 240, 20);
        var (x, y) = found.OutlinePolygon();

        var within = LesionMeasurement.MeasureWithin(rgb, 320, 240, 20, Outline(x, y).Rasterise(320, 240));

        Assert.InRange(within.AreaPixels / truth.AreaPixels, 0.95, 1.05);
        Assert.InRange(within.LongestDiameterMm / found.LongestDiameterMm, 0.97, 1.03);
        Assert.Throws<ArgumentException>(() => LesionMeasurement.MeasureWithin(rgb, 320, 240, 20, new bool[10]));
    }
}
