using System.Numerics;
using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.UnitTests;

/// <summary>
/// The lesion's mark on the overview covers where the lesion is: checked by projecting points on
/// the skin through a pinhole camera placed and tilted as the head's mount places it (vectors and
/// a rotation, not the closed form the firmware uses), for every distance the prompt allows and
/// every pointing error up to the tolerance; and the mark is not so wide that a lesion well away
/// from where the head pointed still falls inside it.
/// </summary>
public sealed class OverviewAimingTests
{
    private static readonly OverviewOptions Options = new();

    /// <summary>The pixel a point on the skin lands on: the head at the origin looking along +z, the overview camera above it (+y, its frames' top side), tilted down.</summary>
    private static (double X, double Y) Project(OverviewOptions o, double distance, double offX, double offY)
    {
        var camera = new Vector3(0, (float)o.MountOffsetMillimetres, 0);
        var tilt = Math.Atan(o.MountOffsetMillimetres / o.AimDistanceMillimetres);
        var forward = Vector3.Transform(Vector3.UnitZ, Matrix4x4.CreateRotationX((float)tilt));
        var up = Vector3.Transform(Vector3.UnitY, Matrix4x4.CreateRotationX((float)tilt));
        var p = new Vector3((float)offX, (float)offY, (float)distance) - camera;
        var focalPixels = o.FocalLengthMillimetres * o.Width / o.SensorWidthMillimetres;
        var depth = Vector3.Dot(p, forward);
        return ((o.Width / 2.0) + (focalPixels * Vector3.Dot(p, Vector3.UnitX) / depth), (o.Height / 2.0) - (focalPixels * Vector3.Dot(p, up) / depth));
    }

    private static double PixelsFromTheMark(OverviewAim aim, (double X, double Y) p) =>
        Math.Sqrt(Math.Pow(p.X - (aim.X * Options.Width), 2) + Math.Pow(p.Y - (aim.Y * Options.Height), 2));

    [Fact]
    public void EveryLesionTheHeadWasPointedAt_FromTwentyToFortyCentimetres_IsInsideTheMark()
    {
        var aim = OverviewAiming.Aim(Options);

        Assert.Null(aim.Problem());
        for (var distance = 200.0; distance <= 400; distance += 25)
        {
            for (var angle = 0.0; angle < 360; angle += 30)
            {
                foreach (var error in new[] { 0.0, Options.AimToleranceMillimetres })
                {
                    var (ex, ey) = (error * Math.Cos(angle * Math.PI / 180), error * Math.Sin(angle * Math.PI / 180));
                    var distanceFromMark = PixelsFromTheMark(aim, Project(Options, distance, ex, ey));
                    Assert.True(distanceFromMark <= (aim.Radius * Options.Width) + 0.5, $"{distance} mm, off by ({ex:0.0}, {ey:0.0}) mm: {distanceFromMark:0.0} px from the mark's centre, radius {aim.Radius * Options.Width:0.0} px");
                }
            }
        }
    }

    [Fact]
    public void AtTheCrossing_ThePointedAtLesionIsTheFramesCentre_AndOneFarOffIsOutsideTheMark()
    {
        var aim = OverviewAiming.Aim(Options);

        var atCrossing = Project(Options, Options.AimDistanceMillimetres, 0, 0);
        Assert.Equal(Options.Width / 2.0, atCrossing.X, 3);
        Assert.Equal(Options.Height / 2.0, atCrossing.Y, 3);
        // Three times the tolerance off, at the farthest and the nearest distance: not the lesion the head was pointed at.
        Assert.True(PixelsFromTheMark(aim, Project(Options, 400, 3 * Options.AimToleranceMillimetres, 0)) > aim.Radius * Options.Width);
        Assert.True(PixelsFromTheMark(aim, Project(Options, 200, 0, -3 * Options.AimToleranceMillimetres)) > aim.Radius * Options.Width);
    }

    [Fact]
    public void AManifestsAim_GoesOnlyWithAnOverview_AndLiesInTheFrame()
    {
        var pairOnly = Appliance.TestData.SealedSeriesFactory.Create().Manifest;
        Assert.Null(pairOnly.Validate());
        Assert.Equal("an overview's aim goes only with an overview", (pairOnly with { OverviewAim = OverviewAiming.Aim(Options) }).Validate());
        Assert.Equal("the overview's aim must lie in the frame", new OverviewAim(1.2, 0.5, 0.1).Problem());
        Assert.Equal("the overview's aim radius must be above 0 and at most half the frame", new OverviewAim(0.5, 0.5, 0).Problem());
        Assert.Equal("the overview's aim radius must be above 0 and at most half the frame", new OverviewAim(0.5, 0.5, double.NaN).Problem());
    }
}
