using System.Text;

namespace Appliance.Protocol;

/// <summary>
/// What one calibration run found for one ring: the flat-field gains (a grid of cells, R, G, B
/// per cell, row by row; since 2026-12-03, with <see cref="FlatAfterTone"/>, gains of light,
/// divided after the tone curve), each channel's tone curve (a power law, and since 2026-12-03
/// the neutrals it passes through: <see cref="ToneLevels"/>, <see cref="ToneLight"/>), the
/// colour correction's model and weights,
/// the scale, the target's edge blur (the optics' own sharpness, which the focus check measures
/// frames against; the older Laplacian focus baseline is kept only so that old profiles still
/// verify), and how well the correction did on the target's held-out
/// patches (CIEDE2000).
/// </summary>
public sealed record RingProfile(
    LightingMode Ring,
    int FlatCellsAcross,
    int FlatCellsDown,
    double[] FlatGains,
    double[] ToneScale,
    double[] ToneExponent,
    string CorrectionModel,
    double[][] CorrectionWeights,
    double PixelsPerMillimetre,
    double DeltaEMeanBefore,
    double DeltaEMeanAfter,
    double DeltaEMaxAfter,
    double? FocusBaseline = null,
    double? EmitterColorTemperature = null,
    double? OpticalMagnification = null,
    double? TargetEdgeBlur = null,
    double[]? ToneLevels = null,
    double[]? ToneLight = null,
    bool? FlatAfterTone = null)
{
    /// <summary>
    /// Whether neutrals can carry a tone curve through them: channel by channel (red's, then
    /// green's, then blue's), 3–32 readings each and the light behind each, all positive and
    /// finite, both rising strictly within each channel, so the curve has one inverse.
    /// </summary>
    public static bool NeutralsRise(IReadOnlyList<double> levels, IReadOnlyList<double> light)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(light);
        var n = levels.Count / 3;
        if (n is < 3 or > 32 || levels.Count != 3 * n || light.Count != levels.Count || levels.Concat(light).Any(v => !double.IsFinite(v) || v <= 0))
        {
            return false;
        }

        for (var i = 0; i < levels.Count; i++)
        {
            if (i % n > 0 && (levels[i] <= levels[i - 1] || light[i] <= light[i - 1]))
            {
                return false;
            }
        }

        return true;
    }

    public string? Validate() =>
        FlatCellsAcross is < 1 or > 256 || FlatCellsDown is < 1 or > 256 || FlatGains is null || FlatGains.Length != FlatCellsAcross * FlatCellsDown * 3
            ? "flat-field grid and gains do not agree"
        : FlatGains.Any(g => !double.IsFinite(g) || g <= 0 || g > 1.0001) ? "a flat-field gain is outside (0, 1]"
        : ToneScale is not { Length: 3 } || ToneExponent is not { Length: 3 } || ToneExponent.Any(e => !double.IsFinite(e) || e is <= 0.2 or > 5) || ToneScale.Any(s => !double.IsFinite(s) || s <= 0)
            ? "tone curve is not three positive scales and exponents"
        : (ToneLevels, ToneLight) is not ((null, null) or ({ }, { })) || (ToneLevels is { } levels && !NeutralsRise(levels, ToneLight!))
            ? "tone curve's neutrals are not 3–32 readings per channel, each with its light, both rising"
        : FlatAfterTone == true && ToneLevels is null ? "a flat-field in linear light needs the tone curve's neutrals"
        : (CorrectionModel, CorrectionWeights?.FirstOrDefault()?.Length) is not (("Linear3x3", 3) or ("RootPolynomial2", 6)) ? "correction model is Linear3x3 (3 weights a row) or RootPolynomial2 (6)"
        : CorrectionWeights is not { Length: 3 } || CorrectionWeights.Any(w => w is null || w.Length is not (3 or 6) || w.Any(v => !double.IsFinite(v))) || CorrectionWeights.Select(w => w.Length).Distinct().Count() != 1
            ? "colour correction weights are not three rows of 3 or 6"
        : !double.IsFinite(PixelsPerMillimetre) || PixelsPerMillimetre is <= 0 or > 10_000 ? "pixels per millimetre out of range"
        : EmitterColorTemperature is { } k && (!double.IsFinite(k) || k is < 1000 or > 25_000) ? "emitter colour temperature out of range"
        : OpticalMagnification is { } mag && (!double.IsFinite(mag) || mag is <= 0 or > 1000) ? "optical magnification out of range"
        : TargetEdgeBlur is { } blur && (!double.IsFinite(blur) || blur is <= 0 or > 20) ? "target edge blur out of range"
        : null;
}

/// <summary>
/// A calibration profile: both rings' calibrations from one run, versioned by its id and
/// creation time, valid until <see cref="ExpiresAt"/>, signed by the appliance's Ed25519 key.
/// The appliance names its current profile in every series; the host keeps every profile and
/// renders calibrated frames with the one a series names.
/// </summary>
public sealed record CalibrationProfile(
    string ProfileId,
    string DeviceId,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string TargetName,
    string TargetVersion,
    RingProfile[] Rings,
    string? Signature = null)
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("appliance-calibration-profile-v1\n");

    /// <summary>What the appliance's signature covers: a domain prefix and the profile's JSON without the signature.</summary>
    public byte[] SignedBytes() => [.. Domain, .. ProtocolJson.Serialize(this with { Signature = null })];

    public RingProfile? For(LightingMode ring) => Rings.FirstOrDefault(r => r.Ring == ring);

    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;

    /// <summary>
    /// A profile id: the device and the moment of the run (so ids sort by version), and 64 random
    /// bits, so that two runs in one second differ and nobody can name a profile before it exists.
    /// </summary>
    public static string NewId(string deviceId, DateTimeOffset at) =>
        $"{deviceId}-{at.UtcDateTime:yyyyMMddTHHmmssZ}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}";

    public string? Validate() =>
        !Protocol.DeviceId.IsValid(DeviceId) ? "deviceId is not a valid device id"
        : string.IsNullOrWhiteSpace(ProfileId) || ProfileId.Length > 100 || !ProfileId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-') ? "profileId is 1–100 letters, digits or hyphens"
        : ExpiresAt <= CreatedAt ? "expiresAt is not after createdAt"
        : Rings is not { Length: > 0 } || Rings.Select(r => r.Ring).Distinct().Count() != Rings.Length ? "one calibration per ring, at least one"
        : Rings.Select(r => r.Validate()).FirstOrDefault(p => p is not null);
}
