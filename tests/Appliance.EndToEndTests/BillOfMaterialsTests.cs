using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Firmware.Core;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// hardware/bom/bom.csv is a bill someone can order from: each line costs its quantity times its
/// unit cost and the total is their sum; every part of the simulated ring driver is on it at the
/// value simulated, for both rings; the electronics carry a maker and a part number, and only
/// parts chosen by specification (LED colour bin, optics, mechanics) say so; the camera bought
/// is the one whose sensor the calibration computes with. Controls: a doctored bill (a value
/// the simulation did not use, a line cost a penny out) is caught.
/// </summary>
public sealed partial class BillOfMaterialsTests
{
    private const string Header = "category,item,designators,quantity,value,description,manufacturer,part_number,unit_cost_gbp,line_cost_gbp";
    private const string BySpecification = "to specification";

    /// <summary>Categories whose parts may be chosen by specification rather than one maker's number.</summary>
    private static readonly string[] SpecifiedCategories = ["ring LEDs", "controls", "optics", "mechanical"];

    private static string Bill => File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "bom", "bom.csv"));

    private static string Netlist => File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "ring-driver", "ring-driver.lib"));

    private sealed record Line(string Category, string Item, string[] Designators, int Quantity, string Value, string Description, string Manufacturer, string PartNumber, decimal UnitCost, decimal LineCost);

    [Fact]
    public void TheBill_AddsUp_CoversTheSimulatedDriver_AndNamesEveryElectronicPart()
    {
        Assert.Empty(Problems(Bill, Netlist));
    }

    [Fact]
    public void TheReadme_StatesTheBillsTotalAndLength()
    {
        var (lines, total, _) = Parse(Bill);
        var readme = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "README.md"));

        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"one appliance, {lines.Count} lines, **£{total:0.00}**"), readme, StringComparison.Ordinal);
    }

    [Fact]
    public void ABillThatDisagreesWithTheSimulationOrDoesNotAddUp_IsCaught()
    {
        var bill = Bill;
        Assert.Contains(",Rs,2,1.24,", bill, StringComparison.Ordinal);
        var wrongValue = bill.Replace(",Rs,2,1.24,", ",Rs,2,1.25,", StringComparison.Ordinal);
        Assert.Contains(Problems(wrongValue, Netlist), p => p.Contains("Rs", StringComparison.Ordinal) && p.Contains("1.24", StringComparison.Ordinal));

        Assert.Contains(",0.40,0.80\n", bill, StringComparison.Ordinal);
        var wrongCost = bill.Replace(",0.40,0.80\n", ",0.40,0.81\n", StringComparison.Ordinal);
        Assert.Contains(Problems(wrongCost, Netlist), p => p.Contains("total", StringComparison.Ordinal));
        Assert.Contains(Problems(wrongCost, Netlist), p => p.Contains("0.81", StringComparison.Ordinal));
    }

    [Fact]
    public void TheCameraBought_IsTheOneTheCalibrationComputesWith()
    {
        var camera = Assert.Single(Parse(Bill).Lines, l => l.Category == "camera" && l.Designators.SequenceEqual(["CAM"]));

        Assert.Contains("IMX708", camera.Description, StringComparison.Ordinal);
        // The DICOM Optical Magnification Factor is measured scale × this width / frame width: a wrong sensor is a wrong factor.
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{new CalibrationOptions().SensorWidthMillimetres} mm sensor width"), camera.Description, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\.subckt (ring_driver|led_ring)\b(.*?)\.ends", RegexOptions.Singleline)]
    private static partial Regex Subcircuit();

    [GeneratedRegex(@"^([RCDMX]\w*)\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Element();

    /// <summary>Everything wrong with the bill, each as one sentence; empty when it is right.</summary>
    private static List<string> Problems(string bill, string netlist)
    {
        var (lines, total, problems) = Parse(bill);
        foreach (var line in lines)
        {
            if (line.Quantity * line.UnitCost != line.LineCost)
            {
                problems.Add($"{line.Item}: {line.Quantity} × {line.UnitCost} is not {line.LineCost}");
            }

            if (line.PartNumber.Length == 0 || (line.PartNumber.StartsWith(BySpecification, StringComparison.Ordinal) && !SpecifiedCategories.Contains(line.Category)))
            {
                problems.Add($"{line.Item}: a {line.Category} part needs its maker's part number, not '{line.PartNumber}'");
            }

            if (!line.PartNumber.StartsWith(BySpecification, StringComparison.Ordinal) && line.Manufacturer.Length == 0)
            {
                problems.Add($"{line.Item}: part number {line.PartNumber} with no maker");
            }
        }

        if (lines.Sum(l => l.LineCost) != total)
        {
            problems.Add($"the total {total} is not the lines' sum {lines.Sum(l => l.LineCost)}");
        }

        // Every component of one ring's driver and LEDs, bought twice (two rings), at the value simulated.
        var elements = Subcircuit().Matches(netlist).SelectMany(s => Element().Matches(s.Groups[2].Value)).ToList();
        if (elements.Count < 30)
        {
            problems.Add($"only {elements.Count} components read from the netlist: has its layout changed?");
        }

        foreach (var element in elements)
        {
            var name = element.Groups[1].Value;
            var fields = element.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (name == "Xleds")
            {
                continue; // the LED ring itself, whose parts are counted from its own subcircuit
            }

            var bought = lines.Where(l => l.Designators.Contains(name)).ToList();
            if (bought.Count != 1)
            {
                problems.Add($"{name} is on {bought.Count} lines of the bill, not one");
                continue;
            }

            var line = bought[0];
            if (line.Quantity != 2 * line.Designators.Length)
            {
                problems.Add($"{name}: {line.Quantity} bought for {line.Designators.Length} a ring and two rings");
            }

            var simulated = name[0] is 'R' or 'C' ? fields[2] : "";
            if (line.Value != simulated)
            {
                problems.Add($"{name}: the bill has '{line.Value}' where the simulation has '{simulated}'");
            }
        }

        return problems;
    }

    private static (List<Line> Lines, decimal Total, List<string> Problems) Parse(string bill)
    {
        var rows = bill.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var problems = new List<string>();
        if (rows[0] != Header)
        {
            problems.Add($"the header is '{rows[0]}', not '{Header}'");
        }

        var lines = new List<Line>();
        var total = -1m;
        foreach (var row in rows.Skip(1))
        {
            var f = row.Split(',');
            if (f.Length != 10)
            {
                problems.Add($"'{row}' has {f.Length} fields, not 10 (a comma in a field?)");
                continue;
            }

            if (f[0] == "total")
            {
                total = decimal.Parse(f[9], CultureInfo.InvariantCulture);
                continue;
            }

            lines.Add(new Line(f[0], f[1], f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries), int.Parse(f[3], CultureInfo.InvariantCulture), f[4], f[5], f[6], f[7],
                decimal.Parse(f[8], CultureInfo.InvariantCulture), decimal.Parse(f[9], CultureInfo.InvariantCulture)));
        }

        return (lines, total, problems);
    }
}
