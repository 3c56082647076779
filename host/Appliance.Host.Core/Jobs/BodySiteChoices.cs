namespace Appliance.Host.Core.Jobs;

/// <summary>
/// The body sites the clinic page offers: a side and a region, picked from lists rather than
/// typed, so the site is always anatomical and the same lesion is named the same way next year.
/// Every combination passes <see cref="Protocol.BodySites"/>.
/// </summary>
public static class BodySiteChoices
{
    public static readonly IReadOnlyList<string> Sides = ["left", "right", "midline"];

    public static readonly IReadOnlyList<(string Group, IReadOnlyList<string> Regions)> Regions =
    [
        ("Head and neck", ["scalp", "forehead", "temple", "eyebrow", "eyelid", "nose", "cheek", "ear", "lip", "chin", "jawline", "neck", "nape"]),
        ("Trunk", ["chest", "sternum", "breast", "abdomen", "umbilicus", "upper back", "lower back", "flank", "shoulder", "scapula", "axilla", "groin", "genitals", "pubis", "buttock", "perianal", "sacrum", "hip"]),
        ("Arm and hand", ["upper arm", "elbow", "antecubital fossa", "forearm", "wrist", "back of hand", "palm", "thumb", "finger", "nail"]),
        ("Leg and foot", ["thigh", "knee", "popliteal fossa", "shin", "calf", "ankle", "heel", "dorsal foot", "sole", "hallux", "toe", "toe web space"]),
    ];

    /// <summary>The site as stored and sent: "left forearm", or just the region for a midline one named by itself.</summary>
    public static string Compose(string? side, string region) =>
        string.IsNullOrWhiteSpace(side) ? region.Trim() : $"{side.Trim()} {region.Trim()}";

    public static bool IsOffered(string? side, string? region) =>
        region is not null
        && Regions.Any(g => g.Regions.Contains(region, StringComparer.Ordinal))
        && (string.IsNullOrEmpty(side) || Sides.Contains(side, StringComparer.Ordinal));
}
