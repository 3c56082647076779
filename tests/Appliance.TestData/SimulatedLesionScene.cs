using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;

namespace Appliance.TestData;

/// <summary>
/// A lesion on textured skin, defined on the skin in millimetres: an outline of radius
/// r(φ) = r₀(1 + Σₖ aₖ cos(kφ + φₖ)) for k = 2…5 (an irregular, star-shaped blot), of one colour,
/// on skin whose reflectance varies by a few per cent (pores and lines: smoothed value noise at
/// two scales), so that two visits can be registered on the skin and not only on the lesion.
/// </summary>
public sealed record SimulatedLesion(Lab Skin, Lab Colour, double RadiusMm, double[] Harmonics, double[] Phases, int TextureSeed)
{
    /// <summary>A lesion of varied shape, size and contrast, drawn from <paramref name="random"/>.</summary>
    public static SimulatedLesion Draw(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var skin = new Lab(58 + (14 * random.NextDouble()), 11 + (7 * random.NextDouble()), 13 + (8 * random.NextDouble()));
        // From a faint tan naevus (12 darker) to a near-black one.
        var darker = 12 + (34 * random.NextDouble());
        var colour = new Lab(skin.L - darker, skin.A + (2 * random.NextDouble()) - 1 + (darker * 0.1), skin.B + (6 * random.NextDouble()) - 3);
        double[] harmonics = [0.25 * random.NextDouble(), 0.12 * random.NextDouble(), 0.06 * random.NextDouble(), 0.05 * random.NextDouble()];
        double[] phases = [.. Enumerable.Range(0, 4).Select(_ => 2 * Math.PI * random.NextDouble())];
        return new SimulatedLesion(skin, colour, 1.3 + (2.7 * random.NextDouble()), harmonics, phases, random.Next());
    }

    /// <summary>The outline's radius at angle <paramref name="phi"/>, times <paramref name="growth"/>.</summary>
    public double Radius(double phi, double growth = 1)
    {
        var r = 1.0;
        for (var k = 0; k < Harmonics.Length; k++)
        {
            r += Harmonics[k] * Math.Cos(((k + 2) * phi) + Phases[k]);
        }

        return RadiusMm * r * growth;
    }

    /// <summary>The true area in mm² (the outline's integral, ½∮r² dφ).</summary>
    public double AreaMm2(double growth = 1)
    {
        const int Steps = 3600;
        double sum = 0;
        for (var i = 0; i < Steps; i++)
        {
            var r = Radius(2 * Math.PI * i / Steps, growth);
            sum += r * r;
        }

        return 0.5 * sum * (2 * Math.PI / Steps);
    }

    /// <summary>The true longest diameter in mm: the largest distance between two points of the outline.</summary>
    public double LongestDiameterMm(double growth = 1)
    {
        const int Points = 720;
        var outline = Enumerable.Range(0, Points).Select(i =>
        {
            var phi = 2 * Math.PI * i / Points;
            var r = Radius(phi, growth);
            return (X: r * Math.Cos(phi), Y: r * Math.Sin(phi));
        }).ToArray();
        double longest = 0;
        for (var i = 0; i < Points; i++)
        {
            for (var j = i + 1; j < Points; j++)
            {
                longest = Math.Max(longest, Math.Sqrt(Math.Pow(outline[i].X - outline[j].X, 2) + Math.Pow(outline[i].Y - outline[j].Y, 2)));
            }
        }

        return longest;
    }

    /// <summary>The skin's reflectance at a point on it (mm): its colour times a texture of a few per cent.</summary>
    public LinearRgb SkinAt(double xMm, double yMm)
    {
        var texture = 1 + (0.07 * ValueNoise(xMm / 0.35, yMm / 0.35, TextureSeed)) + (0.05 * ValueNoise(xMm / 1.2, yMm / 1.2, TextureSeed + 1));
        return ColourSpaces.FromLab(Skin) * texture;
    }

    /// <summary>Smoothly interpolated noise in [−1, 1] on a unit lattice.</summary>
    private static double ValueNoise(double x, double y, int seed)
    {
        var (x0, y0) = ((int)Math.Floor(x), (int)Math.Floor(y));
        var (fx, fy) = (Smooth(x - x0), Smooth(y - y0));
        double At(int i, int j) => (2 * SimulatedLesionScene.Hash(i, j, seed)) - 1;
        var top = At(x0, y0) + ((At(x0 + 1, y0) - At(x0, y0)) * fx);
        var bottom = At(x0, y0 + 1) + ((At(x0 + 1, y0 + 1) - At(x0, y0 + 1)) * fx);
        return top + ((bottom - top) * fy);
    }

    private static double Smooth(double t) => t * t * (3 - (2 * t));
}

/// <summary>
/// Where the head sat on the skin at a visit: the lesion's centre this far (mm) from the frame's
/// centre, the skin turned by this many degrees. With the optics' field of view, it says where every
/// point of the skin falls on the frame, so the true transform between two visits is known.
/// </summary>
public sealed record HeadPlacement(double ShiftXMm, double ShiftYMm, double RotationDegrees)
{
    /// <summary>Frame pixel to skin millimetres.</summary>
    public (double X, double Y) ToSkin(double px, double py, int width, int height, double pixelsPerMm)
    {
        var (u, v) = (((px - (width / 2.0)) / pixelsPerMm) - ShiftXMm, ((py - (height / 2.0)) / pixelsPerMm) - ShiftYMm);
        var radians = -RotationDegrees * Math.PI / 180;
        return ((u * Math.Cos(radians)) - (v * Math.Sin(radians)), (u * Math.Sin(radians)) + (v * Math.Cos(radians)));
    }

    /// <summary>Skin millimetres to frame pixel.</summary>
    public (double X, double Y) ToFrame(double sx, double sy, int width, int height, double pixelsPerMm)
    {
        var radians = RotationDegrees * Math.PI / 180;
        var (u, v) = ((sx * Math.Cos(radians)) - (sy * Math.Sin(radians)) + ShiftXMm, (sx * Math.Sin(radians)) + (sy * Math.Cos(radians)) + ShiftYMm);
        return ((u * pixelsPerMm) + (width / 2.0), (v * pixelsPerMm) + (height / 2.0));
    }
}

/// <summary>
/// Renders a <see cref="SimulatedLesion"/> as the appliance's camera records it under the
/// cross-polarised ring: each pixel's reflectance (the lesion's colour mixed with the skin's by
/// how much of the pixel the outline covers, 4×4 samples near the edge) exposed through the same
/// <see cref="SimulatedOptics"/> the calibration cards are rendered with (channel mix, cross-talk,
/// vignetting, bent response, noise), then softened by a one-pixel box blur as a lens does.
/// </summary>
public static class SimulatedLesionScene
{
    public static byte[] Render(
        SimulatedLesion lesion, SimulatedOptics optics, HeadPlacement placement, int width, int height, double growth = 1, Lab? colour = null)
    {
        ArgumentNullException.ThrowIfNull(lesion);
        ArgumentNullException.ThrowIfNull(optics);
        ArgumentNullException.ThrowIfNull(placement);
        var ppm = optics.PixelsPerMillimetre(width);
        var inside = ColourSpaces.FromLab(colour ?? lesion.Colour);
        var light = optics.RingLight(LightingMode.CrossPolarised);
        var pixels = new byte[width * height * 3];
        const int Samples = 4;
        var edge = 1.5 / ppm;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (sx, sy) = placement.ToSkin(x + 0.5, y + 0.5, width, height, ppm);
                var distance = Math.Sqrt((sx * sx) + (sy * sy)) - lesion.Radius(Math.Atan2(sy, sx), growth);
                double covered;
                if (Math.Abs(distance) > edge)
                {
                    covered = distance < 0 ? 1 : 0;
                }
                else
                {
                    covered = 0;
                    for (var j = 0; j < Samples; j++)
                    {
                        for (var i = 0; i < Samples; i++)
                        {
                            var (qx, qy) = placement.ToSkin(x + ((i + 0.5) / Samples), y + ((j + 0.5) / Samples), width, height, ppm);
                            covered += Math.Sqrt((qx * qx) + (qy * qy)) <= lesion.Radius(Math.Atan2(qy, qx), growth) ? 1.0 / (Samples * Samples) : 0;
                        }
                    }
                }

                var skin = lesion.SkinAt(sx, sy);
                var reflectance = new LinearRgb(
                    skin.R + ((inside.R - skin.R) * covered), skin.G + ((inside.G - skin.G) * covered), skin.B + ((inside.B - skin.B) * covered));
                optics.Expose(pixels, reflectance, light, x, y, width, height);
            }
        }

        return Blur(pixels, width, height);
    }

    /// <summary>A deterministic value in [0, 1) per lattice point and seed.</summary>
    internal static double Hash(int x, int y, int seed)
    {
        var h = unchecked((uint)((x * 374761393) + (y * 668265263) + (seed * 2147483647)));
        h = unchecked((h ^ (h >> 13)) * 1274126177);
        h ^= h >> 16;
        return h / 4294967296.0;
    }

    private static byte[] Blur(byte[] pixels, int width, int height)
    {
        var result = new byte[pixels.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var (sum, n) = (0, 0);
                    for (var yy = Math.Max(0, y - 1); yy <= Math.Min(height - 1, y + 1); yy++)
                    {
                        for (var xx = Math.Max(0, x - 1); xx <= Math.Min(width - 1, x + 1); xx++)
                        {
                            sum += pixels[(((yy * width) + xx) * 3) + c];
                            n++;
                        }
                    }

                    result[(((y * width) + x) * 3) + c] = (byte)((sum + (n / 2)) / n);
                }
            }
        }

        return result;
    }
}
