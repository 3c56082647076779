using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// What the simulated overview camera sees, with the defects it truly has: how bright the room
/// is (1: the standardised exposure), the defocus (a Gaussian σ in review pixels, about 640
/// wide), and how far the hand moved between the burst's two frames (review pixels).
/// </summary>
public sealed record SimulatedOverviewScene
{
    public double Brightness { get; init; } = 1.0;

    public double DefocusSigma { get; init; }

    public double MotionDx { get; init; }

    public double MotionDy { get; init; }

    /// <summary>Where the lesion is in the frame (fractions of width and height).</summary>
    public double LesionX { get; init; } = 0.45;

    public double LesionY { get; init; } = 0.5;

    public int Seed { get; init; } = 11;
}

/// <summary>
/// A simulated overview camera: a forearm across the frame against a clinic wall, the wrist's
/// creases as the landmark, a small pigmented lesion, skin texture and sensor noise, in the
/// room's light. Each burst's second frame is displaced by the scene's motion. Deterministic for
/// a scene and frame.
/// </summary>
public sealed class SimulatedOverviewCamera(FrameBufferPool? pool = null) : IOverviewCamera
{
    private volatile SimulatedOverviewScene _scene = new();
    private int _frames;

    public SimulatedOverviewScene Scene
    {
        get => _scene;
        set => _scene = value ?? throw new ArgumentNullException(nameof(value));
    }

    public Task<CapturedFrame> CaptureAsync(CameraSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var scene = _scene;
        // The overview step takes its frames in pairs: the second of each is the one the hand moved.
        var second = (Interlocked.Increment(ref _frames) % 2) == 0;
        return Task.Run(() => Render(scene, settings.Width, settings.Height, second, pool?.RentBytes(settings.Width * settings.Height * 3)), cancellationToken);
    }

    /// <summary>Renders one frame (the burst's second when <paramref name="moved"/>); public so tests can compute the truth.</summary>
    public static CapturedFrame Render(SimulatedOverviewScene scene, int width, int height, bool moved, byte[]? target = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var pixels = target ?? new byte[width * height * 3];
        var scale = Math.Max(1.0, width / (double)FrameMeasurement.ReviewWidth);
        var (dx, dy) = moved ? (scene.MotionDx * scale, scene.MotionDy * scale) : (0.0, 0.0);
        // The forearm: a band from the left edge to the wrist, rising to the right.
        var (ax, ay, bx, by) = (-0.1 * width, 0.62 * height, 1.1 * width, 0.38 * height);
        var (ux, uy) = (bx - ax, by - ay);
        var length = Math.Sqrt((ux * ux) + (uy * uy));
        (ux, uy) = (ux / length, uy / length);
        var halfWidth = 0.17 * height;
        var lesionRadius = 0.014 * width;
        var (lx, ly) = (scene.LesionX * width, scene.LesionY * height);
        var noise = new Random(scene.Seed + (moved ? 1 : 0));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                // The scene point this pixel sees: the hand moved the camera by (dx, dy).
                var (sx, sy) = (x + dx, y + dy);
                var along = ((sx - ax) * ux) + ((sy - ay) * uy);
                var across = (-(sx - ax) * uy) + ((sy - ay) * ux);
                double r, g, b;
                if (Math.Abs(across) <= halfWidth)
                {
                    // Skin, rounded: darker towards the limb's edges; with texture.
                    var shade = 0.72 + (0.28 * Math.Cos(across / halfWidth * Math.PI / 2));
                    var texture = (SimulatedCamera.ValueNoise(sx / (0.004 * width), sy / (0.004 * width), scene.Seed) - 0.5) * 18;
                    (r, g, b) = ((224 * shade) + texture, (172 * shade) + texture, (140 * shade) + texture);
                    // The wrist's creases, two darker lines across the limb near its end: the landmark.
                    var wrist = along - (0.86 * length);
                    if (Math.Abs(wrist) < 0.0025 * width || Math.Abs(wrist - (0.02 * width)) < 0.002 * width)
                    {
                        (r, g, b) = (r * 0.78, g * 0.74, b * 0.74);
                    }

                    var lesion = Math.Sqrt(((sx - lx) * (sx - lx)) + ((sy - ly) * (sy - ly)));
                    if (lesion < lesionRadius)
                    {
                        (r, g, b) = (96, 60, 42);
                    }
                }
                else
                {
                    // The clinic wall: pale, faintly mottled, lighter towards the top.
                    var wall = 196 + (14 * (1 - (sy / height))) + ((SimulatedCamera.ValueNoise(sx / (0.05 * width), sy / (0.05 * width), scene.Seed + 5) - 0.5) * 10);
                    (r, g, b) = (wall, wall - 2, wall - 8);
                }

                var i = ((y * width) + x) * 3;
                var grain = (noise.NextDouble() - 0.5) * 4;
                pixels[i] = Level((r + grain) * scene.Brightness);
                pixels[i + 1] = Level((g + grain) * scene.Brightness);
                pixels[i + 2] = Level((b + grain) * scene.Brightness);
            }
        }

        if (scene.DefocusSigma > 0)
        {
            GaussianBlur(pixels, width, height, scene.DefocusSigma * scale);
        }

        return new CapturedFrame(LightingMode.Ambient, width, height, CapturedFrame.Rgb24, pixels);
    }

    /// <summary>A separable Gaussian blur of exactly σ pixels, in place: the defocus the scene is labelled with.</summary>
    private static void GaussianBlur(byte[] pixels, int width, int height, double sigma)
    {
        var reach = (int)Math.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-reach, (2 * reach) + 1).Select(k => Math.Exp(-(k * k) / (2 * sigma * sigma))).ToArray();
        var sum = kernel.Sum();
        for (var k = 0; k < kernel.Length; k++)
        {
            kernel[k] /= sum;
        }

        var rows = new double[pixels.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    double v = 0;
                    for (var k = -reach; k <= reach; k++)
                    {
                        v += kernel[k + reach] * pixels[(((y * width) + Math.Clamp(x + k, 0, width - 1)) * 3) + c];
                    }

                    rows[(((y * width) + x) * 3) + c] = v;
                }
            }
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    double v = 0;
                    for (var k = -reach; k <= reach; k++)
                    {
                        v += kernel[k + reach] * rows[(((Math.Clamp(y + k, 0, height - 1) * width) + x) * 3) + c];
                    }

                    pixels[(((y * width) + x) * 3) + c] = Level(v);
                }
            }
        }
    }

    private static byte Level(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
