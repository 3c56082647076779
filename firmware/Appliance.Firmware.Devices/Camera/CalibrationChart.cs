namespace Appliance.Firmware.Devices.Camera;

/// <summary>One patch of the chart: its nominal sRGB colour and where it sits, as fractions of the frame.</summary>
public sealed record ChartPatch(string Name, Rgb Colour, double X0, double Y0, double X1, double Y1)
{
    public bool Contains(double fx, double fy) => fx >= X0 && fx < X1 && fy >= Y0 && fy < Y1;

    /// <summary>The patch's centre, in fractions of the frame.</summary>
    public (double X, double Y) Centre => ((X0 + X1) / 2, (Y0 + Y1) / 2);

    public bool IsNeutral => Colour.R == Colour.G && Colour.G == Colour.B;
}

/// <summary>
/// The calibration target the simulator can show instead of skin: a 6×4 chart with the
/// published sRGB values of the classic 24-patch colour checker, on a mid-grey card. Positions
/// and colours are the truth that calibration (colour correction, ΔE) is measured against.
/// </summary>
public static class CalibrationChart
{
    public static readonly Rgb Card = new(118, 118, 118);

    private static readonly (string Name, Rgb Colour)[] Colours =
    [
        ("dark skin", new(115, 82, 68)), ("light skin", new(194, 150, 130)), ("blue sky", new(98, 122, 157)),
        ("foliage", new(87, 108, 67)), ("blue flower", new(133, 128, 177)), ("bluish green", new(103, 189, 170)),
        ("orange", new(214, 126, 44)), ("purplish blue", new(80, 91, 166)), ("moderate red", new(193, 90, 99)),
        ("purple", new(94, 60, 108)), ("yellow green", new(157, 188, 64)), ("orange yellow", new(224, 163, 46)),
        ("blue", new(56, 61, 150)), ("green", new(70, 148, 73)), ("red", new(175, 54, 60)),
        ("yellow", new(231, 199, 31)), ("magenta", new(187, 86, 149)), ("cyan", new(8, 133, 161)),
        ("white", new(243, 243, 243)), ("neutral 8", new(200, 200, 200)), ("neutral 6.5", new(160, 160, 160)),
        ("neutral 5", new(122, 122, 122)), ("neutral 3.5", new(85, 85, 85)), ("black", new(52, 52, 52)),
    ];

    /// <summary>The 24 patches, row by row, inside the central 80 % × 70 % of the frame with gaps between them.</summary>
    public static IReadOnlyList<ChartPatch> Patches { get; } = Layout();

    private static List<ChartPatch> Layout()
    {
        const int columns = 6, rows = 4;
        const double left = 0.1, top = 0.15, width = 0.8, height = 0.7, gap = 0.18;
        var cellW = width / columns;
        var cellH = height / rows;
        var patches = new List<ChartPatch>(Colours.Length);
        for (var i = 0; i < Colours.Length; i++)
        {
            var (col, row) = (i % columns, i / columns);
            var x0 = left + (col * cellW) + (cellW * gap / 2);
            var y0 = top + (row * cellH) + (cellH * gap / 2);
            patches.Add(new ChartPatch(Colours[i].Name, Colours[i].Colour, x0, y0, x0 + (cellW * (1 - gap)), y0 + (cellH * (1 - gap))));
        }

        return patches;
    }

    /// <summary>The chart's colour at a point (fractions of the frame): a patch, or the card.</summary>
    public static Rgb ColourAt(double fx, double fy)
    {
        foreach (var patch in Patches)
        {
            if (patch.Contains(fx, fy))
            {
                return patch.Colour;
            }
        }

        return Card;
    }
}
