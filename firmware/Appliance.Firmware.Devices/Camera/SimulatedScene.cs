namespace Appliance.Firmware.Devices.Camera;

/// <summary>An RGB colour, 0–255 per channel.</summary>
public readonly record struct Rgb(byte R, byte G, byte B);

/// <summary>
/// What the simulated camera is looking at, with every property known, so that quality checks
/// and (later) calibration are tested against truth rather than against themselves.
/// Positions and sizes are fractions of the frame.
/// </summary>
public sealed record SimulatedScene
{
    public Rgb SkinTone { get; init; } = new(224, 172, 140);

    public Rgb LesionColour { get; init; } = new(96, 60, 42);

    public double LesionCentreX { get; init; } = 0.5;

    public double LesionCentreY { get; init; } = 0.5;

    /// <summary>Mean lesion radius as a fraction of the shorter side.</summary>
    public double LesionRadius { get; init; } = 0.18;

    /// <summary>How far the outline departs from a circle (0 = circle).</summary>
    public double LesionIrregularity { get; init; } = 0.15;

    /// <summary>
    /// Exposure scale in linear light, as shutter time or gain would change it: 1 is the
    /// calibrated level; 0.02 is a dark frame (about a fifth of the levels, sRGB-encoded), 5 an
    /// overexposed one.
    /// </summary>
    public double Brightness { get; init; } = 1.0;

    /// <summary>Specular highlights under the non-polarised ring (cross-polarisation removes them).</summary>
    public int GlareSpots { get; init; } = 12;

    /// <summary>A polariser or contact fault: glare shows in the cross-polarised frame too.</summary>
    public bool GlareInCrossPolarised { get; init; }

    /// <summary>Box-blur radius in pixels (0 = sharp).</summary>
    public int BlurRadius { get; init; }

    /// <summary>Shift of the second frame against the first, in pixels (the head moved).</summary>
    public int MotionDx { get; init; }

    public int MotionDy { get; init; }

    /// <summary>Dark hairs lying across the field (straight, about 1.5 px wide).</summary>
    public int HairCount { get; init; } = 3;

    /// <summary>Pixel-scale skin microtexture and sensor noise amplitude (levels); what blur removes first.</summary>
    public double Grain { get; init; } = 4.0;

    /// <summary>
    /// Calibration target mode: the colour chart (<see cref="CalibrationChart"/>) in place of
    /// skin, lesion and hair. Optics, lighting, noise and sensor gains apply as for skin.
    /// </summary>
    public bool CalibrationTarget { get; init; }

    /// <summary>The sensor's per-channel response (a white-balance error): what colour calibration must undo.</summary>
    public (double R, double G, double B) SensorGains { get; init; } = (1, 1, 1);

    public int Seed { get; init; } = 7;
}
