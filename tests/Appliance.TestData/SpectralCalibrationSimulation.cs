using System.Globalization;
using Appliance.Calibration;
using Appliance.Protocol;

namespace Appliance.TestData;

/// <summary>
/// Published spectra (<c>Spectral/spectra.tsv</c>, embedded; sources in its header), 400–700 nm
/// every 10 nm: the CIE 1931 observer, D65 and two CIE phosphor white LEDs, a real camera's
/// sensitivities, the colour checker's 24 reflectances and four skin reflectances.
/// </summary>
public sealed class SpectralData
{
    private readonly Dictionary<string, (string Kind, double[] Values)> _rows;

    private SpectralData(Dictionary<string, (string, double[])> rows) => _rows = rows;

    public static SpectralData Load()
    {
        using var stream = typeof(SpectralData).Assembly.GetManifestResourceStream("spectra.tsv")
            ?? throw new InvalidOperationException("the spectral data are not embedded in the test kit");
        using var reader = new StreamReader(stream);
        var rows = new Dictionary<string, (string, double[])>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var f = line.Split('\t');
            rows[f[0]] = (f[1], [.. f.Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture))]);
        }

        return new SpectralData(rows);
    }

    public double[] this[string name] => _rows[name].Values;

    public IEnumerable<string> Named(string kind) => _rows.Where(r => r.Value.Kind == kind).Select(r => r.Key);
}

/// <summary>
/// A camera simulated from spectra, outside the calibration's model family: a published
/// sensor's sensitivities (not a linear mix of the CIE functions, so no 3×3 matrix or
/// root-polynomial maps it exactly), lit by white-LED spectra, with a response that bends
/// with a shoulder (not the per-channel power the tone curve fits, plus a black offset),
/// cos⁴ vignetting about an off-centre axis with colour shading (smooth, but not the
/// flat-field's bilinear grid), and shot and read noise before 8-bit sRGB encoding.
/// </summary>
public sealed record SpectralCamera
{
    public const int Width = 640, Height = 480;

    /// <summary>The field of view on the skin, for the scale square.</summary>
    public const double FieldOfViewMillimetres = 25.0;

    /// <summary>Linear level of the white card at the centre, in the brightest channel.</summary>
    public double Exposure { get; init; } = 0.8;

    /// <summary>The response's shoulder: y = x (1 + k) / (1 + k x), plus a black offset.</summary>
    public double Knee { get; init; } = 0.3;

    public double BlackOffset { get; init; } = 0.004;

    /// <summary>Half the diagonal's field angle, and the optical axis's offset from the centre (share of the width).</summary>
    public double HalfFieldDegrees { get; init; } = 30;

    public (double X, double Y) AxisOffset { get; init; } = (0.05, -0.04);

    /// <summary>Extra fall-off per channel at the corner: red falls more (the lens's colour shading).</summary>
    public (double R, double G, double B) ColourShading { get; init; } = (0.08, 0.03, 0.0);

    public double FullWellElectrons { get; init; } = 4000;

    public double ReadNoise { get; init; } = 0.0015;

    public int Seed { get; init; } = 1;

    /// <summary>The camera's raw response to a reflectance under a light (before exposure and the lens).</summary>
    public static (double R, double G, double B) Signal(SpectralData data, double[] reflectance, double[] light)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (r, g, b) = (data["canon_eos_5d_mark_ii_r"], data["canon_eos_5d_mark_ii_g"], data["canon_eos_5d_mark_ii_b"]);
        double sr = 0, sg = 0, sb = 0;
        for (var i = 0; i < light.Length; i++)
        {
            var e = reflectance[i] * light[i];
            (sr, sg, sb) = (sr + (e * r[i]), sg + (e * g[i]), sb + (e * b[i]));
        }

        return (sr, sg, sb);
    }

    /// <summary>Renders a frame: <paramref name="signalAt"/> gives each pixel's raw signal, scaled so the white card's brightest channel is <see cref="Exposure"/>.</summary>
    public byte[] Render(Func<int, int, (double R, double G, double B)> signalAt, double scale)
    {
        ArgumentNullException.ThrowIfNull(signalAt);
        var rng = new Random(Seed);
        var pixels = new byte[Width * Height * 3];
        var focal = Math.Sqrt((Width * Width) + (Height * Height)) / 2 / Math.Tan(HalfFieldDegrees * Math.PI / 180);
        var (ax, ay) = ((Width / 2.0) + (AxisOffset.X * Width), (Height / 2.0) + (AxisOffset.Y * Width));
        var corner = Math.Pow((Width / 2.0) + Math.Abs(AxisOffset.X * Width), 2) + Math.Pow((Height / 2.0) + Math.Abs(AxisOffset.Y * Width), 2);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var d2 = Math.Pow(x + 0.5 - ax, 2) + Math.Pow(y + 0.5 - ay, 2);
                var cos2 = (focal * focal) / ((focal * focal) + d2);
                var fall = cos2 * cos2 * scale;
                var shade = d2 / corner;
                var (r, g, b) = signalAt(x, y);
                var i = ((y * Width) + x) * 3;
                pixels[i] = Encode(r * fall * (1 - (ColourShading.R * shade)), rng);
                pixels[i + 1] = Encode(g * fall * (1 - (ColourShading.G * shade)), rng);
                pixels[i + 2] = Encode(b * fall * (1 - (ColourShading.B * shade)), rng);
            }
        }

        return pixels;
    }

    private byte Encode(double linear, Random rng)
    {
        var noisy = Math.Max(0, linear) + (GaussianNoise.Sample(rng) * Math.Sqrt((Math.Max(0, linear) / FullWellElectrons) + (ReadNoise * ReadNoise)));
        var bent = BlackOffset + ((1 - BlackOffset) * Math.Max(0, noisy) * (1 + Knee) / (1 + (Knee * Math.Max(0, noisy))));
        return (byte)Math.Clamp(Math.Round(ColourSpaces.FromLinear(Math.Clamp(bent, 0, 1))), 0, 255);
    }
}

/// <summary>What one spectral calibration run scored on its held-out patches, and the ring's colour temperature found.</summary>
public sealed record SpectralCalibrationScore(double MeanDeltaE, double MaxDeltaE, double WorstSkinDeltaE, double EmitterKelvin, double TrueKelvin, int HeldOutPatches, string WorstPatch, string Model);

/// <summary>
/// The calibration scored outside its own model family. The target is the colour checker's 24
/// patches plus four skin tones, each a published reflectance; its sheet carries their
/// colours as colorimetry defines them (CIE 1931 observer under D65), which is all the fitter is
/// told. The frames come from <see cref="SpectralCamera"/> under a ring's white-LED spectrum.
/// The fit runs on the sheet's fitting patches; the score is CIEDE2000 between the corrected
/// frame's held-out patches (read here, not by the fitter) and their colorimetric truth. The
/// ring's colour temperature comes from a characterisation the calibration's own code measured
/// on frames under D65 (<see cref="CameraCharacterisation"/>), and is checked against the CIE's
/// published temperature of the LED spectrum.
/// </summary>
public static class SpectralCalibrationSimulation
{
    /// <summary>Each ring's LEDs and their published correlated colour temperature.</summary>
    public static (string Spectrum, double Kelvin) RingLight(LightingMode ring) =>
        ring == LightingMode.CrossPolarised ? ("LED-B3", 4103) : ("LED-B4", 5109);

    private const double WhiteReflectance = 0.8848, CardReflectance = 0.1842, InkReflectance = 0.03;

    public static SpectralCalibrationScore Run(SpectralData data, LightingMode ring, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var sheet = Sheet(data);
        var camera = new SpectralCamera { Seed = seed };
        var (spectrum, kelvin) = RingLight(ring);
        var (white, target) = Frames(data, sheet, camera, data[spectrum]);
        var result = CalibrationFitter.Fit(white, target, SpectralCamera.Width, SpectralCamera.Height, sheet);

        var corrected = result.Correct(LinearImage.FromRgb24(target, SpectralCamera.Width, SpectralCamera.Height));
        var scores = sheet.HeldOutPatches.Select(p => (p.Name, DeltaE: DeltaE2000.Between(ColourSpaces.ToLab(Inner(corrected, p)), p.Lab))).ToList();

        // The characterisation, measured once under the booth's D65 with another noise draw.
        var (boothWhite, boothTarget) = Frames(data, sheet, camera with { Seed = seed + 1000 }, data["D65"]);
        var characterisation = CameraCharacterisation.Measure(boothWhite, boothTarget, SpectralCamera.Width, SpectralCamera.Height, sheet);
        var found = CalibrationProfiles.EmitterTemperature(result.RecordedWhite, characterisation) ?? double.NaN;

        return new SpectralCalibrationScore(
            scores.Average(s => s.DeltaE),
            scores.Max(s => s.DeltaE),
            scores.Where(s => s.Name.StartsWith("skin ", StringComparison.Ordinal)).Max(s => s.DeltaE),
            found,
            kelvin,
            scores.Count,
            scores.MaxBy(s => s.DeltaE).Name,
            result.Correction.Model.ToString());
    }

    /// <summary>
    /// The built-in target's layout with each patch's colour computed from its reflectance, and
    /// four skin patches along the bottom beside the scale square, all four held out.
    /// </summary>
    public static TargetSheet Sheet(SpectralData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var layout = TargetSheet.Default();
        var patches = layout.Patches.Select(p => p with { L = Lab(data, data[p.Name]).L, A = Lab(data, data[p.Name]).A, B = Lab(data, data[p.Name]).B }).ToList();
        var skins = data.Named("skin").ToList();
        double[] lefts = [0.03, 0.18, 0.70, 0.85];
        for (var k = 0; k < skins.Count; k++)
        {
            var lab = Lab(data, data[skins[k]]);
            patches.Add(new TargetPatch(skins[k], lab.L, lab.A, lab.B, lefts[k], 0.76, lefts[k] + 0.12, 0.96, HeldOut: true));
        }

        var card = Lab(data, Flat(data, CardReflectance));
        var white = Lab(data, Flat(data, WhiteReflectance));
        return layout with
        {
            Name = "spectral simulation of the reference target with skin",
            Card = new TargetLab(card.L, card.A, card.B),
            White = new TargetLab(white.L, white.A, white.B),
            Patches = patches,
        };
    }

    /// <summary>CIELAB of a reflectance: CIE 1931 observer, D65, against the perfect diffuser under the same light.</summary>
    public static Lab Lab(SpectralData data, double[] reflectance)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (x, y, z) = Tristimulus(data, reflectance);
        var (xn, yn, zn) = Tristimulus(data, Flat(data, 1));
        double F(double t) => t > 216.0 / 24389 ? Math.Cbrt(t) : ((24389.0 / 27 * t) + 16) / 116;
        var (fx, fy, fz) = (F(x / xn), F(y / yn), F(z / zn));
        return new Lab((116 * fy) - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    private static (double X, double Y, double Z) Tristimulus(SpectralData data, double[] reflectance)
    {
        var (d65, cx, cy, cz) = (data["D65"], data["cie1931_x"], data["cie1931_y"], data["cie1931_z"]);
        double x = 0, y = 0, z = 0;
        for (var i = 0; i < d65.Length; i++)
        {
            var e = reflectance[i] * d65[i];
            (x, y, z) = (x + (e * cx[i]), y + (e * cy[i]), z + (e * cz[i]));
        }

        return (x, y, z);
    }

    private static double[] Flat(SpectralData data, double reflectance) => [.. data["D65"].Select(_ => reflectance)];

    private static (byte[] White, byte[] Target) Frames(SpectralData data, TargetSheet sheet, SpectralCamera camera, double[] light)
    {
        var whiteSignal = SpectralCamera.Signal(data, Flat(data, WhiteReflectance), light);
        var scale = camera.Exposure / Math.Max(whiteSignal.R, Math.Max(whiteSignal.G, whiteSignal.B));
        var card = SpectralCamera.Signal(data, Flat(data, CardReflectance), light);
        var ink = SpectralCamera.Signal(data, Flat(data, InkReflectance), light);
        var regions = sheet.Patches.Select(p => (Patch: p, Signal: SpectralCamera.Signal(data, data[p.Name], light))).ToList();
        var (w, h) = (SpectralCamera.Width, SpectralCamera.Height);
        var side = sheet.ScaleSquare.SideMillimetres * w / SpectralCamera.FieldOfViewMillimetres;
        var left = ((sheet.ScaleSquare.X0 + sheet.ScaleSquare.X1) / 2 * w) - (side / 2);
        var top = ((sheet.ScaleSquare.Y0 + sheet.ScaleSquare.Y1) / 2 * h) - (side / 2);

        var white = camera.Render((_, _) => whiteSignal, scale);
        var target = camera with { Seed = camera.Seed + 500 };
        return (white, target.Render(
            (x, y) =>
            {
                var (fx, fy) = ((x + 0.5) / w, (y + 0.5) / h);
                foreach (var (patch, signal) in regions)
                {
                    if (fx >= patch.X0 && fx < patch.X1 && fy >= patch.Y0 && fy < patch.Y1)
                    {
                        return signal;
                    }
                }

                // The square by area coverage, as a lens and sensor integrate it.
                var cover = Overlap(x, x + 1, left, left + side) * Overlap(y, y + 1, top, top + side);
                return (card.R + ((ink.R - card.R) * cover), card.G + ((ink.G - card.G) * cover), card.B + ((ink.B - card.B) * cover));
            },
            scale));
    }

    private static double Overlap(double a0, double a1, double b0, double b1) => Math.Max(0, Math.Min(a1, b1) - Math.Max(a0, b0));

    /// <summary>The mean of a patch's inner half, away from its edges.</summary>
    private static LinearRgb Inner(LinearImage image, TargetPatch p)
    {
        var (cx, cy) = ((p.X0 + p.X1) / 2 * image.Width, (p.Y0 + p.Y1) / 2 * image.Height);
        var (hw, hh) = ((p.X1 - p.X0) * image.Width / 4, (p.Y1 - p.Y0) * image.Height / 4);
        return image.Mean((int)(cx - hw), (int)(cy - hh), (int)Math.Ceiling(cx + hw), (int)Math.Ceiling(cy + hh));
    }
}
