using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Calibration;

/// <summary>A region of the target, in fractions of the frame (the target sits in a jig on the contact plate).</summary>
public interface ITargetRegion
{
    double X0 { get; }

    double Y0 { get; }

    double X1 { get; }

    double Y1 { get; }
}

/// <summary>One colour patch: its reference CIELAB (D65) as the target's maker measured it, where it is, and whether it is kept out of the fit to judge it.</summary>
public sealed record TargetPatch(string Name, double L, double A, double B, double X0, double Y0, double X1, double Y1, bool HeldOut = false) : ITargetRegion
{
    [JsonIgnore]
    public Lab Lab => new(L, A, B);
}

/// <summary>The dark square of known side that gives the scale.</summary>
public sealed record ScaleSquare(double SideMillimetres, double X0, double Y0, double X1, double Y1) : ITargetRegion;

public sealed record TargetLab(double L, double A, double B)
{
    [JsonIgnore]
    public Lab Lab => new(L, A, B);
}

/// <summary>
/// The calibration target's data sheet: its patches' reference CIELAB values and positions,
/// the white of the reference card, the grey of the target's ground and the scale square. The
/// default is built in (<c>Targets/reference-target.json</c>); an admin whose target differs
/// loads its own sheet in the same format.
/// </summary>
public sealed record TargetSheet(string Name, string Version, TargetLab Card, TargetLab White, ScaleSquare ScaleSquare, IReadOnlyList<TargetPatch> Patches)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
    };

    public IEnumerable<TargetPatch> FitPatches => Patches.Where(p => !p.HeldOut);

    public IEnumerable<TargetPatch> HeldOutPatches => Patches.Where(p => p.HeldOut);

    public static TargetSheet Default()
    {
        using var stream = typeof(TargetSheet).Assembly.GetManifestResourceStream("reference-target.json")
            ?? throw new InvalidOperationException("the built-in target sheet is missing from the assembly");
        return Parse(stream, "the built-in target sheet");
    }

    public static TargetSheet Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    private static TargetSheet Parse(Stream stream, string source)
    {
        TargetSheet? sheet;
        try
        {
            sheet = JsonSerializer.Deserialize<TargetSheet>(stream, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source} is not a target sheet: {ex.Message}", ex);
        }

        var problem = sheet is null ? "empty" : sheet.Validate();
        return problem is null ? sheet! : throw new InvalidDataException($"{source}: {problem}");
    }

    /// <summary>Null if the sheet can calibrate: enough patches on each side of the split, sane values and regions.</summary>
    public string? Validate()
    {
        if (Patches is null || Patches.Count(p => !p.HeldOut) < 9 || !Patches.Any(p => p.HeldOut))
        {
            return "a sheet needs at least 9 patches to fit on and at least one held out to judge the fit";
        }

        foreach (var region in Patches.Cast<ITargetRegion>().Append(ScaleSquare))
        {
            if (region.X0 < 0 || region.Y0 < 0 || region.X1 > 1 || region.Y1 > 1 || region.X1 <= region.X0 || region.Y1 <= region.Y0)
            {
                return "every region is a rectangle inside the frame (fractions 0–1)";
            }
        }

        if (Patches.Any(p => p.L is < 0 or > 100) || White.L is < 50 or > 100)
        {
            return "CIELAB lightness is 0–100 (and the white card's at least 50)";
        }

        return ScaleSquare.SideMillimetres is <= 0 or > 50 ? "the scale square's side is 0–50 mm" : null;
    }
}
