using Appliance.Calibration;

namespace Appliance.UnitTests;

/// <summary>
/// The tone curve on a response that is not a power law: a shoulder and a black offset, a
/// different shoulder per channel, as an image processor's tone map bends a sensor's response.
/// </summary>
public sealed class ToneCurveTests
{
    private static readonly (double Knee, double Offset)[] Channels = [(0.5, 0.004), (0.3, 0.006), (0.1, 0.002)];

    /// <summary>Luminance of the target's neutrals but neutral 5 (0.19), which is held out.</summary>
    private static readonly double[] Neutrals = [0.031, 0.09, 0.36, 0.59, 0.9];

    [Fact]
    public void ThroughTheNeutrals_AHeldOutGreyIsLinearisedWhereAPowerLawIsNot()
    {
        var tone = ToneCurve.Fit([.. Neutrals.Select(Respond)], Neutrals);
        Assert.True(tone.ThroughNeutrals);

        // At each neutral, exactly its luminance.
        Assert.All(Neutrals, y => AssertGrey(y, tone.Linearise(Respond(y)), 1e-9));

        // Between them, close; the power law fitted to the same neutrals is not.
        var heldOut = tone.Linearise(Respond(0.19));
        AssertGrey(0.19, heldOut, 0.19 * 0.02);
        var power = new ToneCurve(tone.Scale, tone.Exponent).Linearise(Respond(0.19));
        Assert.True(Math.Abs(power.R - 0.19) > 0.19 * 0.05, $"the power law reads {power.R:F4} for 0.19");

        // Brighter than the white card and darker than black: the end segments carried on, still rising.
        var (dark, bright) = (tone.Linearise(Respond(0.01)), tone.Linearise(Respond(0.98)));
        Assert.InRange(dark.G, 0.001, 0.031);
        Assert.InRange(bright.G, 0.9, 1.1);
        Assert.Equal(0, tone.Linearise(new LinearRgb(0, -0.1, 0)).G);
    }

    [Fact]
    public void NeutralsThatDoNotRise_LeaveThePowerLawAlone()
    {
        // The white card and neutral 8 both clipped in red: no single inverse passes through them.
        var measured = Neutrals.Select(Respond).Select(m => m with { R = Math.Min(m.R, 0.6) }).ToList();
        var tone = ToneCurve.Fit(measured, Neutrals);

        Assert.False(tone.ThroughNeutrals);
        Assert.Null(tone.Levels);
        Assert.InRange(tone.Linearise(Respond(0.36)).G, 0.3, 0.42);
    }

    private static LinearRgb Respond(double luminance) => new(Bend(luminance, 0), Bend(luminance, 1), Bend(luminance, 2));

    private static double Bend(double y, int channel)
    {
        var (knee, offset) = Channels[channel];
        return offset + ((1 - offset) * y * (1 + knee) / (1 + (knee * y)));
    }

    private static void AssertGrey(double expected, LinearRgb actual, double tolerance)
    {
        Assert.InRange(actual.R, expected - tolerance, expected + tolerance);
        Assert.InRange(actual.G, expected - tolerance, expected + tolerance);
        Assert.InRange(actual.B, expected - tolerance, expected + tolerance);
    }
}
