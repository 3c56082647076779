using Appliance.Calibration;
using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>What is under the simulated head besides skin: the calibration cards.</summary>
public enum SimulatedCard
{
    None,
    WhiteCard,
    Target,
}

/// <summary>
/// A camera that renders synthetic dermoscopic frames: skin with texture and vignetting, an
/// irregular pigmented lesion with a darker centre, and specular glare only under the
/// non-polarised ring. Deterministic for a given scene and frame index.
/// </summary>
public sealed class SimulatedCamera(FrameBufferPool? pool = null) : ICamera
{
    private volatile SimulatedScene _scene = new();

    /// <summary>The scene in front of the lens; tests and the demo change it between captures.</summary>
    public SimulatedScene Scene
    {
        get => _scene;
        set => _scene = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>A calibration card under the head instead of skin; none for skin.</summary>
    public SimulatedCard Card { get; set; }

    /// <summary>The camera and rings as the calibration cards see them.</summary>
    public SimulatedOptics Optics { get; set; } = new();

    /// <summary>The target the simulated chart is printed from.</summary>
    public Appliance.Calibration.TargetSheet Sheet { get; set; } = Appliance.Calibration.TargetSheet.Default();

    public Task<CapturedFrame> CaptureAsync(LightingMode lighting, CameraSettings settings, CancellationToken cancellationToken)
    {
        if (Card != SimulatedCard.None)
        {
            var (card, optics, sheet) = (Card, Optics, Sheet);
            return Task.Run(
                () =>
                {
                    var rendered = card == SimulatedCard.WhiteCard
                        ? SimulatedTarget.RenderWhite(optics, sheet, lighting, settings.Width, settings.Height)
                        : SimulatedTarget.RenderTarget(optics, sheet, lighting, settings.Width, settings.Height);
                    var pixels = pool?.RentBytes(rendered.Length) ?? new byte[rendered.Length];
                    rendered.CopyTo(pixels, 0);
                    return new CapturedFrame(lighting, settings.Width, settings.Height, CapturedFrame.Rgb24, pixels);
                },
                cancellationToken);
        }

        var (scene, skinOptics) = (_scene, Optics);
        // The second frame of a series (non-polarised) is the one that sees any motion of the head.
        var moved = lighting == LightingMode.NonPolarised;
        return Task.Run(
            () => Render(scene, lighting, settings.Width, settings.Height, moved, pool?.RentBytes(settings.Width * settings.Height * 3), skinOptics),
            cancellationToken);
    }

    /// <summary>
    /// Renders one frame into <paramref name="target"/> (a new buffer when null); public so tests
    /// can compute the truth independently of a capture. Skin goes through the same
    /// <paramref name="optics"/> as the calibration cards (the default optics when null), so a
    /// calibration made on the cards corrects the skin.
    /// </summary>
    public static CapturedFrame Render(SimulatedScene scene, LightingMode lighting, int width, int height, bool applyMotion, byte[]? target = null, SimulatedOptics? optics = null)
    {
        optics ??= new SimulatedOptics();
        var pixels = target ?? new byte[width * height * 3];
        if (pixels.Length != width * height * 3)
        {
            throw new ArgumentException("the target must hold exactly one rgb24 frame", nameof(target));
        }

        var rng = new Random(scene.Seed);
        var phase1 = rng.NextDouble() * Math.PI * 2;
        var phase2 = rng.NextDouble() * Math.PI * 2;
        var shortSide = Math.Min(width, height);
        var dx = applyMotion ? scene.MotionDx : 0;
        var dy = applyMotion ? scene.MotionDy : 0;
        var cx = (scene.LesionCentreX * width) + dx;
        var cy = (scene.LesionCentreY * height) + dy;
        var radius = scene.LesionRadius * shortSide;
        var polarised = lighting == LightingMode.CrossPolarised;
        // Cross-polarised light sees under the surface: more saturated, no surface sheen.
        var surfaceSheen = polarised ? 0.0 : 14.0;
        var saturation = polarised ? 1.08 : 0.96;
        var halfDiagonal = Math.Sqrt((width * width) + (height * height)) / 2;

        var light = optics.RingLight(lighting);

        // The skin as it looks under the ring (sRGB levels of its colour under daylight), then
        // through the camera: the ring's light, the sensor, the lens, exposure and noise.
        void Expose(double r, double g, double b, int x, int y)
        {
            var mean = (r + g + b) / 3;
            var reflectance = new LinearRgb(
                ColourSpaces.ToLinear(Math.Clamp(mean + ((r - mean) * saturation) + surfaceSheen, 0, 255)),
                ColourSpaces.ToLinear(Math.Clamp(mean + ((g - mean) * saturation) + surfaceSheen, 0, 255)),
                ColourSpaces.ToLinear(Math.Clamp(mean + ((b - mean) * saturation) + surfaceSheen, 0, 255)));
            optics.Expose(pixels, reflectance, light, x, y, width, height, scene.Brightness, scene.SensorGains);
        }

        // The older printed chart's path (CalibrationChart): the ring's saturation and sheen, then
        // vignetting, exposure and the sensor's per-channel gains, straight to levels.
        (double R, double G, double B) Lit(double r, double g, double b, int x, int y)
        {
            var mean = (r + g + b) / 3;
            var vx = x - (width / 2.0);
            var vy = y - (height / 2.0);
            var rr = Math.Sqrt((vx * vx) + (vy * vy)) / halfDiagonal;
            var scale = (1 - (0.18 * rr * rr)) * scene.Brightness;
            return (
                (mean + ((r - mean) * saturation) + surfaceSheen) * scale * scene.SensorGains.R,
                (mean + ((g - mean) * saturation) + surfaceSheen) * scale * scene.SensorGains.G,
                (mean + ((b - mean) * saturation) + surfaceSheen) * scale * scene.SensorGains.B);
        }

        void Store(double r, double g, double b, int x, int y)
        {
            var i = ((y * width) + x) * 3;
            pixels[i] = ToByte(r);
            pixels[i + 1] = ToByte(g);
            pixels[i + 2] = ToByte(b);
        }
        var hairs = new (double X0, double Y0, double X1, double Y1)[scene.HairCount];
        for (var h = 0; h < hairs.Length; h++)
        {
            var hx = rng.NextDouble() * width;
            var hy = rng.NextDouble() * height;
            var angle = rng.NextDouble() * Math.PI;
            var length = (0.3 + (0.3 * rng.NextDouble())) * Math.Max(width, height);
            hairs[h] = (hx, hy, hx + (Math.Cos(angle) * length), hy + (Math.Sin(angle) * length));
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var sx = x - dx;
                var sy = y - dy;
                double r, g, b;
                if (scene.CalibrationTarget)
                {
                    // A printed chart: flat colours, only the sensor's noise on top.
                    var noise = (Hash(sx, sy, scene.Seed + 101) - 0.5) * 2 * scene.Grain;
                    var chart = CalibrationChart.ColourAt((double)sx / width, (double)sy / height);
                    (r, g, b) = (chart.R + noise, chart.G + noise, chart.B + noise);
                    (r, g, b) = Lit(r, g, b, x, y);
                    Store(r, g, b, x, y);
                    continue;
                }

                var texture = ((ValueNoise(sx / 9.0, sy / 9.0, scene.Seed) - 0.5) * 10) + ((Hash(sx, sy, scene.Seed + 101) - 0.5) * 2 * scene.Grain);
                r = scene.SkinTone.R + texture;
                g = scene.SkinTone.G + texture;
                b = scene.SkinTone.B + texture;

                var ddx = x - cx;
                var ddy = y - cy;
                var dist = Math.Sqrt((ddx * ddx) + (ddy * ddy));
                if (dist < radius * (1 + scene.LesionIrregularity) + 2)
                {
                    var theta = Math.Atan2(ddy, ddx);
                    var edge = radius * (1 + (scene.LesionIrregularity * ((0.6 * Math.Sin((3 * theta) + phase1)) + (0.4 * Math.Sin((5 * theta) + phase2)))));
                    var inside = Math.Clamp((edge - dist) / 2.0, 0, 1);
                    if (inside > 0)
                    {
                        var depth = 1 - (0.35 * Math.Clamp(1 - (dist / edge), 0, 1));
                        r = Lerp(r, scene.LesionColour.R * depth, inside);
                        g = Lerp(g, scene.LesionColour.G * depth, inside);
                        b = Lerp(b, scene.LesionColour.B * depth, inside);
                    }
                }

                foreach (var hair in hairs)
                {
                    var cover = Math.Clamp(1.5 - SegmentDistance(sx, sy, hair), 0, 1);
                    if (cover > 0)
                    {
                        r = Lerp(r, 48, cover);
                        g = Lerp(g, 34, cover);
                        b = Lerp(b, 28, cover);
                    }
                }

                Expose(r, g, b, x, y);
            }
        }

        if (scene.BlurRadius > 0)
        {
            BoxBlur(pixels, width, height, scene.BlurRadius);
        }

        // Glare goes on after blur: a specular highlight saturates the sensor even out of focus
        // (defocus spreads it, which the larger radius stands for).
        if (!polarised || scene.GlareInCrossPolarised)
        {
            AddGlare(pixels, width, height, scene, dx, dy);
        }

        return new CapturedFrame(lighting, width, height, CapturedFrame.Rgb24, pixels);
    }

    private static void AddGlare(byte[] pixels, int width, int height, SimulatedScene scene, int dx, int dy)
    {
        var rng = new Random(scene.Seed * 31 + 1);
        for (var s = 0; s < scene.GlareSpots; s++)
        {
            var gx = (int)(rng.NextDouble() * width) + dx;
            var gy = (int)(rng.NextDouble() * height) + dy;
            // Highlight size is a property of the skin, so it scales with the field of view's resolution.
            var gr = ((2 + (rng.NextDouble() * 4)) * Math.Max(1, Math.Min(width, height) / 180.0)) + scene.BlurRadius;
            var reach = (int)Math.Ceiling(gr * 2);
            for (var y = Math.Max(0, gy - reach); y < Math.Min(height, gy + reach); y++)
            {
                for (var x = Math.Max(0, gx - reach); x < Math.Min(width, gx + reach); x++)
                {
                    var d = Math.Sqrt(((x - gx) * (x - gx)) + ((y - gy) * (y - gy)));
                    // Saturated core, soft halo: a specular highlight clips the sensor.
                    // The core clips at any exposure; the halo scales with exposure like everything else.
                    var w = d <= gr ? 1.0 : Math.Clamp(1 - ((d - gr) / gr), 0, 1) * 0.7 * Math.Min(1, scene.Brightness);
                    if (w <= 0)
                    {
                        continue;
                    }

                    var i = ((y * width) + x) * 3;
                    for (var c = 0; c < 3; c++)
                    {
                        pixels[i + c] = w >= 1 ? (byte)255 : ToByte(Lerp(pixels[i + c], 255, w));
                    }
                }
            }
        }
    }

    /// <summary>A separable box blur of the given radius, in place: a soft lens or a defocus.</summary>
    internal static void BoxBlur(byte[] pixels, int width, int height, int radius)
    {
        var tmp = new byte[pixels.Length];
        Pass(pixels, tmp, width, height, radius, horizontal: true);
        Pass(tmp, pixels, width, height, radius, horizontal: false);

        static void Pass(byte[] src, byte[] dst, int width, int height, int radius, bool horizontal)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        int sum = 0, n = 0;
                        for (var k = -radius; k <= radius; k++)
                        {
                            var xx = horizontal ? x + k : x;
                            var yy = horizontal ? y : y + k;
                            if (xx < 0 || yy < 0 || xx >= width || yy >= height)
                            {
                                continue;
                            }

                            sum += src[(((yy * width) + xx) * 3) + c];
                            n++;
                        }

                        dst[(((y * width) + x) * 3) + c] = (byte)(sum / n);
                    }
                }
            }
        }
    }

    internal static double ValueNoise(double x, double y, int seed)
    {
        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var fx = x - x0;
        var fy = y - y0;
        var a = Hash(x0, y0, seed);
        var b = Hash(x0 + 1, y0, seed);
        var c = Hash(x0, y0 + 1, seed);
        var d = Hash(x0 + 1, y0 + 1, seed);
        var sx = fx * fx * (3 - (2 * fx));
        var sy = fy * fy * (3 - (2 * fy));
        return Lerp(Lerp(a, b, sx), Lerp(c, d, sx), sy);
    }

    /// <summary>Deterministic noise in [0, 1] for a pixel and a seed.</summary>
    internal static double Hash(int x, int y, int seed)
    {
        unchecked
        {
            var h = (uint)((x * 374761393) + (y * 668265263) + (seed * 982451653));
            h = (h ^ (h >> 13)) * 1274126177;
            h ^= h >> 16;
            return (h & 0xFFFFFF) / (double)0xFFFFFF;
        }
    }

    private static double SegmentDistance(double px, double py, (double X0, double Y0, double X1, double Y1) s)
    {
        var vx = s.X1 - s.X0;
        var vy = s.Y1 - s.Y0;
        var t = Math.Clamp((((px - s.X0) * vx) + ((py - s.Y0) * vy)) / ((vx * vx) + (vy * vy)), 0, 1);
        var dx = px - (s.X0 + (t * vx));
        var dy = py - (s.Y0 + (t * vy));
        return Math.Sqrt((dx * dx) + (dy * dy));
    }

    private static double Lerp(double a, double b, double t) => a + ((b - a) * t);

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
