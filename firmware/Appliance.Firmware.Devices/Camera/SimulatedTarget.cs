using Appliance.Calibration;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// A camera and its optics as the calibration must find them, every property known: how the
/// sensor mixes the true colours (a matrix and cross-channel terms), how much the lens and ring
/// darken the corners, what each ring's light does to the channels, the field of view, and the
/// sensor's noise. Everything happens in linear light, as it does in a camera, and the frame is
/// sRGB-encoded at the end.
/// </summary>
public sealed record SimulatedOptics
{
    /// <summary>Rows: sensor R, G, B from true linear R, G, B.</summary>
    public double[][] Mix { get; init; } =
    [
        [0.78, 0.17, 0.03],
        [0.10, 0.74, 0.12],
        [0.03, 0.22, 0.64],
    ];

    /// <summary>Cross-channel response added to sensor R, G, B: √(RG), √(GB), √(RB) of the true colour.</summary>
    public (double R, double G, double B) CrossTalk { get; init; } = (0.10, 0.06, 0.08);

    /// <summary>
    /// Each channel's response is not quite linear in the light (an exponent near 1). This camera
    /// is built from the fitter's own model family (a per-channel power is the tone curve's form,
    /// the square-root cross-talk is the root-polynomial's terms, the quadratic vignetting is what
    /// the flat-field divides out), so what the calibration scores on it is its noise floor, not
    /// its accuracy; the spectral simulation in the benchmarks estimates that.
    /// </summary>
    public (double R, double G, double B) ResponseExponent { get; init; } = (1.06, 0.96, 1.04);

    /// <summary>Corner darkening: light falls by this fraction at the corners (quadratic in the radius).</summary>
    public double Vignetting { get; init; } = 0.35;

    /// <summary>The width of the field of view on the skin; with the frame's width, the truth of pixels per millimetre.</summary>
    public double FieldOfViewMillimetres { get; init; } = 25.0;

    /// <summary>Exposure: the linear level of a perfect white at the centre under the non-polarised ring.</summary>
    public double Exposure { get; init; } = 0.85;

    /// <summary>Sensor noise, in 8-bit levels either way.</summary>
    public double Noise { get; init; } = 2.0;

    public int Seed { get; init; } = 11;

    /// <summary>
    /// How soft the lens is (a box blur radius in pixels at 640 wide, scaled with the width): a
    /// lens that resolves less makes every sharp frame score lower, which the calibration's focus
    /// baseline measures.
    /// </summary>
    public int LensBlurRadius { get; init; }

    public int BlurRadiusAt(int width) => (int)Math.Round(LensBlurRadius * width / 640.0);

    /// <summary>Each ring's LEDs as a black body of this temperature: the truth the calibration's emitter colour temperature is checked against.</summary>
    public (double CrossPolarised, double NonPolarised) RingColourTemperature { get; init; } = (4300, 5200);

    /// <summary>What each ring does to the light falling on the skin: its LEDs' colour at unit luminance, halved by the polariser.</summary>
    public LinearRgb RingLight(LightingMode ring)
    {
        var polarised = ring == LightingMode.CrossPolarised;
        var white = ColourTemperature.PlanckianWhite(polarised ? RingColourTemperature.CrossPolarised : RingColourTemperature.NonPolarised);
        var luminance = (0.2126729 * white.R) + (0.7151522 * white.G) + (0.0721750 * white.B);
        return white * ((polarised ? 0.5 : 1.0) / luminance);
    }

    /// <summary>
    /// The simulator's truth: the inverse of the sensor's channel mix (row-major, camera linear
    /// RGB to linear sRGB), without the cross-talk and the response's bend. Tests compare what is
    /// measured against it; nothing under test is given it (<see cref="MeasuredCharacterisation"/>).
    /// </summary>
    public double[] CameraToSrgb()
    {
        var m = Mix;
        var det = (m[0][0] * ((m[1][1] * m[2][2]) - (m[1][2] * m[2][1])))
            - (m[0][1] * ((m[1][0] * m[2][2]) - (m[1][2] * m[2][0])))
            + (m[0][2] * ((m[1][0] * m[2][1]) - (m[1][1] * m[2][0])));
        return
        [
            ((m[1][1] * m[2][2]) - (m[1][2] * m[2][1])) / det, ((m[0][2] * m[2][1]) - (m[0][1] * m[2][2])) / det, ((m[0][1] * m[1][2]) - (m[0][2] * m[1][1])) / det,
            ((m[1][2] * m[2][0]) - (m[1][0] * m[2][2])) / det, ((m[0][0] * m[2][2]) - (m[0][2] * m[2][0])) / det, ((m[0][2] * m[1][0]) - (m[0][0] * m[1][2])) / det,
            ((m[1][0] * m[2][1]) - (m[1][1] * m[2][0])) / det, ((m[0][1] * m[2][0]) - (m[0][0] * m[2][1])) / det, ((m[0][0] * m[1][1]) - (m[0][1] * m[1][0])) / det,
        ];
    }

    public double PixelsPerMillimetre(int width) => width / FieldOfViewMillimetres;

    /// <summary>
    /// The characterisation as a camera's maker or an admin would measure it: this camera
    /// photographing the white card and the target under a daylight booth (both rings replaced
    /// by a 6504 K light), fitted by the calibration's own code. Unlike <see cref="CameraToSrgb"/>,
    /// it is never the simulator's own matrix.
    /// </summary>
    public double[] MeasuredCharacterisation(TargetSheet sheet, int width = 640, int height = 480)
    {
        var booth = this with { RingColourTemperature = (6504, 6504), Seed = Seed + 1000 };
        return CameraCharacterisation.Measure(
            SimulatedTarget.RenderWhite(booth, sheet, LightingMode.NonPolarised, width, height),
            SimulatedTarget.RenderTarget(booth, sheet, LightingMode.NonPolarised, width, height),
            width,
            height,
            sheet);
    }

    /// <summary>
    /// One pixel as the sensor records it: the surface's reflectance (linear) under the ring's
    /// <paramref name="light"/>, through the channel mix and cross-talk, the vignetting and
    /// exposure (times <paramref name="exposureScale"/> and any extra per-channel
    /// <paramref name="gains"/>), the bent response, noise and sRGB encoding, into the frame.
    /// </summary>
    public void Expose(byte[] pixels, LinearRgb reflectance, LinearRgb light, int x, int y, int width, int height, double exposureScale = 1, (double R, double G, double B)? gains = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var (r, g, b) = (Math.Max(reflectance.R, 0) * light.R, Math.Max(reflectance.G, 0) * light.G, Math.Max(reflectance.B, 0) * light.B);
        var m = Mix;
        var sensorR = (m[0][0] * r) + (m[0][1] * g) + (m[0][2] * b) + (CrossTalk.R * Math.Sqrt(r * g));
        var sensorG = (m[1][0] * r) + (m[1][1] * g) + (m[1][2] * b) + (CrossTalk.G * Math.Sqrt(g * b));
        var sensorB = (m[2][0] * r) + (m[2][1] * g) + (m[2][2] * b) + (CrossTalk.B * Math.Sqrt(r * b));
        var (vx, vy) = (x + 0.5 - (width / 2.0), y + 0.5 - (height / 2.0));
        var radius = Math.Sqrt((vx * vx) + (vy * vy)) / (Math.Sqrt((width * width) + (height * height)) / 2);
        var level = Exposure * exposureScale * (1 - (Vignetting * radius * radius));
        var (gr, gg, gb) = gains ?? (1, 1, 1);
        var i = ((y * width) + x) * 3;
        var response = Response();
        pixels[i] = Encode(response[0], sensorR * level * gr, x, y, 0);
        pixels[i + 1] = Encode(response[1], sensorG * level * gg, x, y, 1);
        pixels[i + 2] = Encode(response[2], sensorB * level * gb, x, y, 2);
    }

    /// <summary>Steps per unit of linear light in the response tables: far finer than an 8-bit level anywhere.</summary>
    private const int ResponseSteps = 16384;

    /// <summary>Linear light up to this is tabulated; above it the sensor has long clipped.</summary>
    private const double ResponseRange = 1.25;

    private ((double, double, double) Exponents, double[][] Tables)? _response;

    /// <summary>
    /// Each channel's bent response and the sRGB encoding, tabulated once per optics: the same
    /// curve as computing it per pixel (to a hundredth of a level), at a fraction of the time,
    /// so a simulated capture is as quick as a camera.
    /// </summary>
    private double[][] Response()
    {
        // Keyed by the exponents: a copy made with `with` carries the cache along.
        if (_response is { } cached && cached.Exponents == ResponseExponent)
        {
            return cached.Tables;
        }

        double[][] tables =
        [
            .. new[] { ResponseExponent.R, ResponseExponent.G, ResponseExponent.B }.Select(exponent =>
                Enumerable.Range(0, (int)(ResponseSteps * ResponseRange) + 2)
                    .Select(k => ColourSpaces.FromLinear(Math.Pow((double)k / ResponseSteps, exponent)))
                    .ToArray()),
        ];
        _response = (ResponseExponent, tables);
        return tables;
    }

    private byte Encode(double[] response, double linear, int x, int y, int channel)
    {
        var position = Math.Clamp(linear, 0, ResponseRange) * ResponseSteps;
        var k = (int)position;
        var encoded = response[k] + ((response[k + 1] - response[k]) * (position - k));
        // Deterministic noise per pixel and channel, so a frame renders the same every time.
        var noise = (SimulatedCamera.Hash(x, y, (Seed * 3) + channel) - 0.5) * 2 * Noise;
        return (byte)Math.Clamp(Math.Round(encoded + noise), 0, 255);
    }
}

/// <summary>Renders the calibration shots: the white reference card, and the target (patches, grey ground, scale square).</summary>
public static class SimulatedTarget
{
    public static byte[] RenderWhite(SimulatedOptics optics, TargetSheet sheet, LightingMode ring, int width, int height)
    {
        var white = ColourSpaces.FromLab(sheet.White.Lab);
        return Render(optics, ring, width, height, (_, _) => white);
    }

    public static byte[] RenderTarget(SimulatedOptics optics, TargetSheet sheet, LightingMode ring, int width, int height)
    {
        var ground = ColourSpaces.FromLab(sheet.Card.Lab);
        var patches = sheet.Patches.Select(p => (Region: p, Colour: ColourSpaces.FromLab(p.Lab))).ToList();
        // The square, centred in its region, at the optics' true scale; drawn by area coverage as a lens and sensor integrate it.
        var side = sheet.ScaleSquare.SideMillimetres * optics.PixelsPerMillimetre(width);
        var squareLeft = (((sheet.ScaleSquare.X0 + sheet.ScaleSquare.X1) / 2) * width) - (side / 2);
        var squareTop = (((sheet.ScaleSquare.Y0 + sheet.ScaleSquare.Y1) / 2) * height) - (side / 2);
        var ink = new LinearRgb(0.01, 0.01, 0.01);
        return Render(optics, ring, width, height, (x, y) =>
        {
            var (fx, fy) = ((x + 0.5) / width, (y + 0.5) / height);
            foreach (var (region, colour) in patches)
            {
                if (fx >= region.X0 && fx < region.X1 && fy >= region.Y0 && fy < region.Y1)
                {
                    return colour;
                }
            }

            var cover = Overlap(x, x + 1, squareLeft, squareLeft + side) * Overlap(y, y + 1, squareTop, squareTop + side);
            return cover <= 0 ? ground : new LinearRgb(
                ground.R + ((ink.R - ground.R) * cover), ground.G + ((ink.G - ground.G) * cover), ground.B + ((ink.B - ground.B) * cover));
        });
    }

    private static byte[] Render(SimulatedOptics optics, LightingMode ring, int width, int height, Func<int, int, LinearRgb> scene)
    {
        var pixels = new byte[width * height * 3];
        var light = optics.RingLight(ring);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                optics.Expose(pixels, scene(x, y), light, x, y, width, height);
            }
        }

        if (optics.BlurRadiusAt(width) is > 0 and var blur)
        {
            SimulatedCamera.BoxBlur(pixels, width, height, blur);
        }

        return pixels;
    }

    private static double Overlap(double a0, double a1, double b0, double b1) => Math.Clamp(Math.Min(a1, b1) - Math.Max(a0, b0), 0, 1);
}
