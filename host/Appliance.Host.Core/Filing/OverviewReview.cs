namespace Appliance.Host.Core.Filing;

/// <summary>The guidance's risk levels for an image (its Figure 3).</summary>
public enum ImageRisk
{
    /// <summary>A close-up with no identifying feature: the dermoscopic pair.</summary>
    Low,

    /// <summary>A body image at a distance with no face or identifying feature (tattoo, birthmark).</summary>
    Medium,

    /// <summary>An image with a face, a tattoo, genitalia, breasts or another identifying feature.</summary>
    High,
}

/// <summary>
/// What a member of staff recorded, looking at the overview: that it shows no face, tattoo or
/// other identifying feature, or that it does and why it must. An overview nobody has reviewed
/// counts as high risk.
/// </summary>
public sealed record OverviewReview(bool ShowsIdentifyingFeature, string? Reason, string ReviewedBy, DateTimeOffset ReviewedAt)
{
    public const int MaxReasonLength = 200;

    public ImageRisk Risk => ShowsIdentifyingFeature ? ImageRisk.High : ImageRisk.Medium;

    /// <summary>Null if the review can be recorded; otherwise why not.</summary>
    public string? Problem() =>
        ShowsIdentifyingFeature && string.IsNullOrWhiteSpace(Reason) ? "say why the overview must show the identifying feature"
        : Reason is { Length: > MaxReasonLength } ? $"the reason is longer than {MaxReasonLength} characters"
        : Reason is not null && Reason.Any(char.IsControl) ? "the reason holds characters that are not text"
        : null;

    public string Describe() => ShowsIdentifyingFeature
        ? $"shows an identifying feature (high risk), reviewed by {ReviewedBy}: {Reason}"
        : $"no face, tattoo or other identifying feature (medium risk), reviewed by {ReviewedBy}";
}
