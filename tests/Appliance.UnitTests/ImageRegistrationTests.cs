using Appliance.Firmware.Devices.Camera;
using Appliance.Host.Core.Imaging;
using Appliance.TestData;

namespace Appliance.UnitTests;

/// <summary>
/// Registration of two visits against the truth of where the head sat (<see cref="HeadPlacement"/>)
/// and the camera's true scale, which the registration never sees: shift, rotation and a
/// magnification change recovered to a fraction of a pixel; a lesion that grew between visits
/// does not pull the scale when its outline is left out; the overlay is the second visit laid on
/// the first.
/// </summary>
public sealed class ImageRegistrationTests
{
    private const int Width = 320;
    private const int Height = 240;

    private static readonly SimulatedLesion Lesion = SimulatedLesion.Draw(new Random(5));

    [Theory]
    [InlineData(0.8, -0.5, 12, 25.0)]
    [InlineData(-1.2, 0.9, -14, 24.0)]
    [InlineData(0.3, 1.4, 4, 26.0)]
    public void ShiftRotationAndScale_AreRecovered_ToUnderAPixel(double shiftX, double shiftY, double degrees, double fieldOfView)
    {
        var (first, second) = (new SimulatedOptics(), new SimulatedOptics { FieldOfViewMillimetres = fieldOfView, Seed = 3 });
        var (placeA, placeB) = (new HeadPlacement(0, 0, 0), new HeadPlacement(shiftX, shiftY, degrees));
        var a = SimulatedLesionScene.Render(Lesion, first, placeA, Width, Height);
        var b = SimulatedLesionScene.Render(Lesion, second, placeB, Width, Height);

        var registration = ImageRegistration.Register(a, Width, Height, b, Width, Height, expectedScale: 25.0 / fieldOfView);

        Assert.InRange(MeanError(registration.Transform, placeA, placeB, first, second), 0, 0.5);
        Assert.InRange(registration.Transform.RotationDegrees, degrees - 0.3, degrees + 0.3);
        Assert.InRange(registration.Overlap, 0.6, 1);
    }

    [Fact]
    public void ALesionThatGrew_IsLeftOutOfTheFit_SoItsGrowthIsNotTakenForMagnification()
    {
        var optics = new SimulatedOptics();
        var (placeA, placeB) = (new HeadPlacement(0, 0, 0), new HeadPlacement(0.6, -0.4, 6));
        var a = SimulatedLesionScene.Render(Lesion, optics, placeA, Width, Height);
        var b = SimulatedLesionScene.Render(Lesion, optics, placeB, Width, Height, growth: 1.25);
        var ppm = optics.PixelsPerMillimetre(Width);
        var (lesionA, lesionB) = (LesionMeasurement.Measure(a, Width, Height, ppm), LesionMeasurement.Measure(b, Width, Height, ppm));

        var onSkin = ImageRegistration.Register(a, Width, Height, b, Width, Height, 1, (lesionA, lesionB));
        var onEverything = ImageRegistration.Register(a, Width, Height, b, Width, Height, 1);

        Assert.InRange(onSkin.Transform.Scale, 0.99, 1.01);
        Assert.True(MeanError(onSkin.Transform, placeA, placeB, optics, optics) < 0.5, $"{onSkin} {MeanError(onSkin.Transform, placeA, placeB, optics, optics)} r {Lesion.RadiusMm}");
        // The measured growth is the lesion's, not hidden by the registration.
        Assert.InRange(lesionB.AreaMm2 / lesionA.AreaMm2, 1.25 * 1.25 * 0.95, 1.25 * 1.25 * 1.05);
        // Left in, the growing lesion drags the fit: what the exclusion is for.
        Assert.True(MeanError(onEverything.Transform, placeA, placeB, optics, optics) > MeanError(onSkin.Transform, placeA, placeB, optics, optics));
    }

    [Fact]
    public void TheResampledSecondVisit_LiesOnTheFirst()
    {
        var optics = new SimulatedOptics();
        var a = SimulatedLesionScene.Render(Lesion, optics, new HeadPlacement(0, 0, 0), Width, Height);
        var b = SimulatedLesionScene.Render(Lesion, optics, new HeadPlacement(1.0, 0.5, -9), Width, Height);
        var registration = ImageRegistration.Register(a, Width, Height, b, Width, Height);

        var laid = ImageRegistration.Resample(b, Width, Height, registration.Transform, Width, Height);

        Assert.True(MeanAbsoluteDifference(a, laid) < MeanAbsoluteDifference(a, b) / 3, "the registered frame should match the first far better than the unregistered one");
    }

    private static double MeanError(SimilarityTransform estimated, HeadPlacement a, HeadPlacement b, SimulatedOptics first, SimulatedOptics second)
    {
        var (ppmA, ppmB) = (first.PixelsPerMillimetre(Width), second.PixelsPerMillimetre(Width));
        var errors = new List<double>();
        for (var y = 4; y < Height; y += 8)
        {
            for (var x = 4; x < Width; x += 8)
            {
                var (sx, sy) = a.ToSkin(x + 0.5, y + 0.5, Width, Height, ppmA);
                var (tx, ty) = b.ToFrame(sx, sy, Width, Height, ppmB);
                if (tx >= 0 && ty >= 0 && tx < Width && ty < Height)
                {
                    var (ex, ey) = estimated.Apply(x, y);
                    errors.Add(Math.Sqrt(Math.Pow(ex - (tx - 0.5), 2) + Math.Pow(ey - (ty - 0.5), 2)));
                }
            }
        }

        return errors.Average();
    }

    /// <summary>Over the middle half of the frame, which both visits see.</summary>
    private static double MeanAbsoluteDifference(byte[] first, byte[] second)
    {
        double sum = 0;
        var count = 0;
        for (var y = Height / 4; y < Height * 3 / 4; y++)
        {
            for (var x = Width / 4; x < Width * 3 / 4; x++)
            {
                var i = ((y * Width) + x) * 3;
                sum += Math.Abs(first[i] - second[i]) + Math.Abs(first[i + 1] - second[i + 1]) + Math.Abs(first[i + 2] - second[i + 2]);
                count += 3;
            }
        }

        return sum / count;
    }
}
