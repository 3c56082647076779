using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.Firmware.Core;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// The LED ring driver (hardware/ring-driver) simulated by Debian's ngspice in batch mode, its
/// printed checks judged here: the ring's current holds within ±2 % of its set point over the
/// 5 V supply's range (4.75–5.25 V) and 15–60 °C; it settles on and off well within the
/// firmware's <c>Capture:RingSettleTime</c>; at 0 % duty the ring is dark; at 25 kHz and half duty the
/// current ripples under 2 % and is half the full current. A control run on the same circuit
/// without its offset bias shows the dark-ring check failing, so it can fail.
/// </summary>
public sealed partial class RingDriverSimulationTests
{
    private const double SupplyLow = 4.75, SupplyHigh = 5.25;

    /// <summary>A white mid-power LED glows visibly from about a microampere: below this the ring is dark.</summary>
    private const double DarkMicroamps = 1.0;

    [GeneratedRegex(@"^CHECK (\S+)(?: supply=(\S+) temp=(\S+))? (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Check();

    private static string Folder => Path.Combine(Builds.RepositoryRoot, "hardware", "ring-driver");

    [Fact]
    public async Task TheRingsCurrent_HoldsWithin2Percent_OverSupplyAndTemperature_SettlesInTime_AndIsDarkAtZeroDuty()
    {
        var checks = await SimulateAsync();

        var currents = checks.Where(c => c.Name == "current_ma").ToList();
        Assert.Equal(12, currents.Count); // 3 supplies × 4 temperatures
        Assert.Contains(currents, c => c.Supply == SupplyLow);
        Assert.Contains(currents, c => c.Supply == SupplyHigh);
        var setPoint = currents.Single(c => c.Supply == 5.0 && c.Temperature == 25).Value;
        Assert.InRange(setPoint, 225, 245); // 20 mA a LED, 12 LEDs, as hardware/README.md states
        Assert.All(currents, c => Assert.InRange(c.Value, setPoint * 0.98, setPoint * 1.02));

        Assert.InRange(Value(checks, "off_current_ua"), 0, DarkMicroamps);

        // The firmware waits RingSettleTime after switching a ring before it exposes: the ring must be steady by half of it.
        var settleMs = new CaptureOptions().RingSettleTime.TotalMilliseconds;
        Assert.Equal(settleMs, FirmwareSetting("Capture", "RingSettleTime").TotalMilliseconds);
        Assert.InRange(Value(checks, "settle_ms_to_1pct"), 0, settleMs / 2);
        // And the ring switched off is dark (under 1 % of its current) as soon: the firmware lights one ring only after the other is off.
        Assert.InRange(Value(checks, "off_settle_ms_to_1pct"), 0, settleMs / 2);
        Assert.Equal(setPoint, Value(checks, "final_ma"), 1);

        Assert.InRange(Value(checks, "ripple_pct_pp"), 0, 2);
        Assert.InRange(Value(checks, "half_duty_ma") / setPoint, 0.47, 0.53);
    }

    [Fact]
    public async Task WithoutItsOffsetBias_TheDriverLeavesTheRingGlowingAtZeroDuty_SoTheDarkCheckCanFail()
    {
        // Only the 0 % duty operating point is read here: the transients that follow may not finish on a circuit this far off its design.
        var checks = await SimulateAsync(
            library =>
            {
                Assert.Contains("\nRbias ", library, StringComparison.Ordinal);
                return library.Replace("\nRbias ", "\n* Rbias ", StringComparison.Ordinal);
            },
            wholeRun: false);

        // The op-amp's 2 mV offset over the 1.24 ohm sense resistor: about 1.6 mA through a ring told to be off.
        Assert.True(Value(checks, "off_current_ua") > 1000 * DarkMicroamps, $"off current {Value(checks, "off_current_ua")} µA");
    }

    private sealed record SimulatedCheck(string Name, double? Supply, double? Temperature, double Value);

    private static double Value(IEnumerable<SimulatedCheck> checks, string name) => checks.Single(c => c.Name == name).Value;

    /// <summary>Runs the checks on a copy of the design (ngspice may write files where it runs), its library edited first if asked.</summary>
    private static async Task<List<SimulatedCheck>> SimulateAsync(Func<string, string>? editLibrary = null, bool wholeRun = true)
    {
        using var copy = new TempFolder("ring-driver");
        foreach (var file in Directory.GetFiles(Folder))
        {
            File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        }

        var library = Path.Combine(copy.Path, "ring-driver.lib");
        await File.WriteAllTextAsync(library, (editLibrary ?? (text => text))(await File.ReadAllTextAsync(library)));
        var (exit, text) = await ExternalTool.RunAsync("ngspice", copy.Path, "-b", "checks.cir");
        Assert.True(exit == 0, $"ngspice exited {exit}:\n{text}");
        // An analysis that stops early still prints its checks, from whatever it reached.
        Assert.True(!wholeRun || !text.Contains("simulation(s) aborted", StringComparison.Ordinal), $"an analysis did not finish:\n{text}");
        static double? Number(Group g) => g.Success ? double.Parse(g.Value, CultureInfo.InvariantCulture) : null;
        var checks = Check().Matches(text)
            .Select(m => new SimulatedCheck(m.Groups[1].Value, Number(m.Groups[2]), Number(m.Groups[3]), double.Parse(m.Groups[4].Value, NumberStyles.Float, CultureInfo.InvariantCulture)))
            .ToList();
        Assert.True(!wholeRun || checks.Count >= 18, $"ngspice printed {checks.Count} checks:\n{text}");
        return checks;
    }

    private static TimeSpan FirmwareSetting(string section, string key)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "firmware", "Appliance.Firmware", "appsettings.json")));
        return TimeSpan.Parse(settings.RootElement.GetProperty(section).GetProperty(key).GetString()!, CultureInfo.InvariantCulture);
    }
}
