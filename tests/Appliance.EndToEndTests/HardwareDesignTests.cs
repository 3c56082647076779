using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// The hardware design and the software's defaults describe the same appliance: the camera
/// hardware/README.md names is the one whose sensor the calibration's optical magnification
/// is computed with; the head's OpenSCAD model renders (Debian's openscad) to one closed
/// manifold (admesh), and its optics agree with the firmware's lens position and sensor, the
/// calibration's scale and the README's table; the wiring diagram renders from its Graphviz
/// source and shows every pin of the pin map and of the firmware's settings.
/// </summary>
public sealed partial class HardwareDesignTests
{
    /// <summary>The Camera Module 3's IMX708: 4608 active pixels across, 1.4 µm each.</summary>
    private const double Imx708WidthMillimetres = 4608 * 0.0014;

    [GeneratedRegex(@"^\| Camera Module 3, standard lens \(IMX708\) \| yes, the default", RegexOptions.Multiline)]
    private static partial Regex CameraRow();

    [Fact]
    public void TheCalibrationsSensorWidth_IsTheDefaultCamerasSensor()
    {
        var readme = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "README.md"));

        Assert.Matches(CameraRow(), readme);
        // The DICOM Optical Magnification Factor is measured scale × this width / frame width: a wrong sensor is a wrong factor.
        Assert.Equal(Imx708WidthMillimetres, new CalibrationOptions().SensorWidthMillimetres, 3);
    }

    [GeneratedRegex(@"^(\w+)\s*=\s*(-?[0-9.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Parameter();

    private static string HeadModel => Path.Combine(Builds.RepositoryRoot, "hardware", "head", "head.scad");

    [Fact]
    public async Task TheHead_RendersToOneClosedManifold()
    {
        using var folder = new TempFolder("head-stl");
        var stl = Path.Combine(folder.Path, "head.stl");

        var (rendered, renderLog) = await RunAsync("openscad", "-o", stl, HeadModel);
        var (checkedExit, report) = await RunAsync("admesh", stl);

        Assert.True(rendered == 0 && File.Exists(stl), renderLog);
        Assert.True(checkedExit == 0, report);
        Assert.Equal(1, Count(report, "Number of parts"));
        foreach (var repair in new[] { "Degenerate facets", "Edges fixed", "Facets removed", "Facets added", "Facets reversed", "Backwards edges", "Normals fixed" })
        {
            Assert.True(Count(report, repair) == 0, $"{repair} is not 0:\n{report}");
        }

        Assert.Matches(@"Total disconnected facets\s*:\s*0\s+0", report);
    }

    [Fact]
    public async Task AModelWithAFloatingPart_IsCaught_AsTheHeadsFirstDraftWas()
    {
        using var folder = new TempFolder("head-control");
        var (scad, stl) = (Path.Combine(folder.Path, "two.scad"), Path.Combine(folder.Path, "two.stl"));
        // A ledge that does not reach the wall: two parts, as a ring seat once was.
        await File.WriteAllTextAsync(scad, "difference() { cylinder(d = 44, h = 10, $fn = 48); translate([0, 0, -1]) cylinder(d = 40, h = 12, $fn = 48); }\ntranslate([0, 0, 4]) difference() { cylinder(d = 32, h = 1.2, $fn = 48); translate([0, 0, -1]) cylinder(d = 24, h = 3, $fn = 48); }\n");

        await RunAsync("openscad", "-o", stl, scad);
        var (_, report) = await RunAsync("admesh", stl);

        Assert.Equal(2, Count(report, "Number of parts"));
    }

    [Fact]
    public void TheHeadsOptics_AgreeWithTheFirmwareTheCalibrationAndTheReadme()
    {
        var p = Parameter().Matches(File.ReadAllText(HeadModel)).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        var capture = new CaptureOptions();

        Assert.Equal(new CalibrationOptions().SensorWidthMillimetres, p["sensor_width"], 4);
        Assert.Equal(capture.LensPosition, p["lens_position"], 3);
        // Thin lenses in contact: the magnification that puts the field of view across the sensor, and where the skin is then in focus.
        var magnification = p["sensor_width"] / p["field_of_view"];
        var closeUp = (magnification * ((1000 / p["focal_length"]) - p["lens_position"])) - p["lens_position"];
        Assert.Equal(closeUp, p["close_up"], 1);
        Assert.Equal(1000 / (p["close_up"] + p["lens_position"]), p["working_distance"], 1);
        // The calibration's scale at the firmware's default frame is the simulated camera's, which stands for this head.
        Assert.Equal(new SimulatedOptics().PixelsPerMillimetre(capture.Width), capture.Width / p["field_of_view"], 3);
        // The rings fit inside the body, the cross-polarised one inside the plain one.
        Assert.True(p["cross_ring_diameter"] < p["plain_ring_diameter"] && p["plain_ring_diameter"] + p["ring_width"] <= p["body_diameter"] - (2 * p["wall"]));

        var readme = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "README.md"));
        foreach (var (text, key) in new[] { ("{0:0.0} mm across the frame", "field_of_view"), ("{0:0.0} dioptres (f", "close_up"), ("{0:0.0} mm, close-up lens to skin", "working_distance"), ("LEDs on a {0:0} mm circle | |\n| non", "cross_ring_diameter"), ("LEDs on a {0:0} mm circle | |\n| contact", "plain_ring_diameter") })
        {
            Assert.Contains(string.Format(CultureInfo.InvariantCulture, text, p[key]), readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheOverviewCamerasMount_IsWhereTheFirmwareDrawsTheLesionsMarkFrom()
    {
        var p = Parameter().Matches(File.ReadAllText(HeadModel)).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        var overview = new OverviewOptions();

        // The aim the manifest carries is computed from these: a mount built otherwise puts the circle off the lesion.
        Assert.Equal(overview.MountOffsetMillimetres, p["overview_offset"], 3);
        Assert.Equal(overview.AimDistanceMillimetres, p["overview_aim_distance"], 3);
        Assert.Equal(p["focal_length"], overview.FocalLengthMillimetres, 3);
        Assert.Equal(p["sensor_width"], overview.SensorWidthMillimetres, 4);
        // Its plate clears the body, so the arm is what joins them (one part, as the render test checks).
        var boardHeight = double.Parse(Regex.Match(File.ReadAllText(HeadModel), @"camera_board = \[[0-9.]+, ([0-9.]+)\]").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(p["overview_offset"] - ((boardHeight + 4) / 2) >= (p["body_diameter"] / 2) - 0.01, "the overview plate runs into the head's body");
        var readme = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "README.md"));
        Assert.Contains(string.Format(CultureInfo.InvariantCulture, "{0:0} mm from the head's axis, tilted {1:0.0}° so the axes cross at {2:0} mm", p["overview_offset"], Math.Atan(p["overview_offset"] / p["overview_aim_distance"]) * 180 / Math.PI, p["overview_aim_distance"]), readme, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\| [^|]+ \| GPIO(\d+) \| (\d+) \|", RegexOptions.Multiline)]
    private static partial Regex PinRow();

    [Fact]
    public async Task TheWiringDiagram_RendersFromItsSource_AndShowsEveryPinOfThePinMapAndTheFirmware()
    {
        using var folder = new TempFolder("wiring");
        var svg = Path.Combine(folder.Path, "wiring.svg");
        var source = Path.Combine(Builds.RepositoryRoot, "hardware", "wiring", "wiring.dot");

        var (exit, log) = await RunAsync("dot", "-Tsvg", source, "-o", svg);

        Assert.True(exit == 0, log);
        var texts = Texts(await File.ReadAllTextAsync(svg));
        var readme = await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "hardware", "README.md"));
        var rows = PinRow().Matches(readme).Select(m => (Bcm: m.Groups[1].Value, Header: m.Groups[2].Value)).ToList();
        Assert.Equal(13, rows.Count);
        Assert.All(rows, r => Assert.Contains(texts, t => t.EndsWith($": GPIO{r.Bcm}, pin {r.Header}", StringComparison.Ordinal)));
        Assert.Equal(rows.Count, rows.Select(r => r.Bcm).Distinct().Count()); // no line does two jobs
        // And every pin the firmware opens by default, the screen's included.
        using var settings = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "firmware", "Appliance.Firmware", "appsettings.json")));
        var pins = settings.RootElement.GetProperty("Gpio").EnumerateObject().Where(p => p.Name.EndsWith("Pin", StringComparison.Ordinal) && p.Value.ValueKind == System.Text.Json.JsonValueKind.Number)
            .Select(p => p.Value.GetInt32()).ToList();
        Assert.True(pins.Count >= 6);
        var screen = new Appliance.Firmware.Devices.Screen.ScreenOptions();
        pins.AddRange([screen.DataCommandPin, screen.ResetPin, screen.BacklightPin]);
        Assert.All(pins, p => Assert.Contains(rows, r => r.Bcm == p.ToString(CultureInfo.InvariantCulture)));
        // The SVG kept in the repository for reading is the source's, as rendered (its words; coordinates may differ between Graphviz versions).
        Assert.Equal(texts.Order(StringComparer.Ordinal), Texts(await File.ReadAllTextAsync(Path.ChangeExtension(source, ".svg"))).Order(StringComparer.Ordinal));
    }

    private static List<string> Texts(string svg) =>
        [.. System.Xml.Linq.XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value)];

    private static int Count(string report, string label) =>
        int.Parse(Regex.Match(report, $@"{Regex.Escape(label)}\s*:\s*([0-9]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static Task<(int Exit, string Output)> RunAsync(string file, params string[] arguments) => ExternalTool.RunAsync(file, null, arguments);
}
