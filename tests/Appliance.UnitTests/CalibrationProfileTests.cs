using Appliance.Calibration;
using Appliance.Firmware.Devices.Camera;
using Appliance.Protocol;

namespace Appliance.UnitTests;

public sealed class CalibrationProfileTests
{
    private const int Width = 640, Height = 480;
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-24T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void AProfile_IsSignedByTheAppliance_TravelsAsJson_AndCorrectsFramesAsTheFitDid()
    {
        var sheet = TargetSheet.Default();
        var optics = new SimulatedOptics();
        var results = new[] { LightingMode.CrossPolarised, LightingMode.NonPolarised }.ToDictionary(
            ring => ring,
            ring => CalibrationFitter.Fit(SimulatedTarget.RenderWhite(optics, sheet, ring, Width, Height), SimulatedTarget.RenderTarget(optics, sheet, ring, Width, Height), Width, Height, sheet));
        var (devicePrivate, devicePublic) = SeriesSigning.CreateKeyPair();

        var profile = CalibrationProfiles.Create("clinic-a-01", sheet, [.. results.Select(r => CalibrationProfiles.ToRingProfile(r.Key, r.Value))], Now, TimeSpan.FromDays(30), devicePrivate);

        Assert.Matches("^clinic-a-01-20261124T090000Z-[0-9a-f]{16}$", profile.ProfileId);
        Assert.True(SeriesSigning.VerifyBytes(devicePublic, profile.SignedBytes(), profile.Signature));
        Assert.True(ProtocolJson.TryDeserialize<CalibrationProfile>(ProtocolJson.Serialize(profile), out var received, out var error), error);
        Assert.True(SeriesSigning.VerifyBytes(devicePublic, received.SignedBytes(), received.Signature));
        Assert.Null(received.Validate());
        Assert.False(received.IsExpired(Now.AddDays(29)));
        Assert.True(received.IsExpired(Now.AddDays(30)));

        // A changed number breaks the signature.
        var tampered = received with { Rings = [received.Rings[0] with { PixelsPerMillimetre = 30 }, received.Rings[1]] };
        Assert.False(SeriesSigning.VerifyBytes(devicePublic, tampered.SignedBytes(), tampered.Signature));

        // Rebuilt from the profile, the correction does to a frame what the fit's own did.
        Assert.True(ProtocolJson.Serialize(profile).Length < 20_000, "a profile stays small enough to send at every start");
        var ring = received.For(LightingMode.CrossPolarised)!;
        var frame = SimulatedTarget.RenderTarget(optics, sheet, LightingMode.CrossPolarised, Width, Height);
        var byFit = results[LightingMode.CrossPolarised].Correct(LinearImage.FromRgb24(frame, Width, Height));
        var byProfile = CalibrationProfiles.ToCorrection(ring, Width, Height).Apply(LinearImage.FromRgb24(frame, Width, Height));
        // The profile keeps gains to four decimals: at most one level apart anywhere.
        var (fitBytes, profileBytes) = (byFit.ToRgb24(), byProfile.ToRgb24());
        Assert.True(fitBytes.Zip(profileBytes).All(p => Math.Abs(p.First - p.Second) <= 1));
        Assert.True(fitBytes.Zip(profileBytes).Count(p => p.First != p.Second) < fitBytes.Length / 100);
        Assert.True(ring.DeltaEMeanAfter <= 2.0);
        // The tone curve travels with the neutrals it passes through (the sheet's six but neutral 5,
        // held out, in each channel), and the gains are of light, divided after it.
        Assert.Equal(results[LightingMode.CrossPolarised].Tone.Levels, ring.ToneLevels);
        Assert.Equal(3 * 5, ring.ToneLight?.Length);
        Assert.True(ring.FlatAfterTone);
        var current = CalibrationProfiles.ToCorrection(ring, Width, Height);
        Assert.True(current.FlatAfterTone && current.Tone.ThroughNeutrals);

        // A profile from before: its gains divide the camera's values, then its power law.
        var older = CalibrationProfiles.ToCorrection(ring with { ToneLevels = null, ToneLight = null, FlatAfterTone = null }, Width, Height);
        Assert.False(older.FlatAfterTone || older.Tone.ThroughNeutrals);
        Assert.Equal(ring.ToneExponent, older.Tone.Exponent);
    }

    [Fact]
    public void AProfileWithImpossibleNumbers_IsRefusedWithAReason()
    {
        var ring = new RingProfile(LightingMode.CrossPolarised, 2, 1, [1, 1, 1, 0.5, 0.5, 0.5], [1, 1, 1], [1, 1, 1], "Linear3x3", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], 25.6, 10, 1, 2);
        var profile = new CalibrationProfile("clinic-a-01-x", "clinic-a-01", Now, Now.AddDays(30), "t", "1", [ring]);
        Assert.Null(profile.Validate());
        Assert.Contains("flat-field", (profile with { Rings = [ring with { FlatGains = [1, 1, 1] }] }).Validate());
        Assert.Contains("gain", (profile with { Rings = [ring with { FlatGains = [1, 1, 1, 0, 0.5, 0.5] }] }).Validate());
        Assert.Contains("correction model", (profile with { Rings = [ring with { CorrectionModel = "Neural" }] }).Validate());
        Assert.Contains("one calibration per ring", (profile with { Rings = [ring, ring] }).Validate());
        Assert.Contains("expiresAt", (profile with { ExpiresAt = Now }).Validate());

        // The tone curve's neutrals: none (a profile from before they were kept), or three or more
        // readings per channel, channel by channel, each with the light behind it, both rising.
        double[] levels = [0.05, 0.3, 0.9, 0.05, 0.31, 0.92, 0.06, 0.29, 0.88];
        double[] light = [0.03, 0.19, 0.9, 0.028, 0.18, 0.85, 0.03, 0.19, 0.9];
        var neutrals = ring with { ToneLevels = levels, ToneLight = light, FlatAfterTone = true };
        Assert.Null((profile with { Rings = [neutrals] }).Validate());
        Assert.Contains("neutrals", (profile with { Rings = [neutrals with { ToneLight = null }] }).Validate());
        Assert.Contains("neutrals", (profile with { Rings = [neutrals with { ToneLevels = levels[..6], ToneLight = light[..6] }] }).Validate());
        Assert.Contains("neutrals", (profile with { Rings = [neutrals with { ToneLevels = [0.05, 0.3, 0.9, 0.05, 0.04, 0.92, 0.06, 0.29, 0.88] }] }).Validate());
        Assert.Contains("neutrals", (profile with { Rings = [neutrals with { ToneLight = [0.03, 0.19, 0.19, 0.028, 0.18, 0.85, 0.03, 0.19, 0.9] }] }).Validate());
        Assert.Contains("neutrals", (profile with { Rings = [neutrals with { ToneLevels = [0.05, 0.3, double.NaN, 0.05, 0.31, 0.92, 0.06, 0.29, 0.88] }] }).Validate());
        Assert.Contains("linear light", (profile with { Rings = [ring with { FlatAfterTone = true }] }).Validate());
    }
}
