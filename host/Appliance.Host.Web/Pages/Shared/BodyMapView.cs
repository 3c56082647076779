using Appliance.Host.Core.Jobs;

namespace Appliance.Host.Web.Pages.Shared;

/// <summary>One mark drawn on the body map: a lesion's label where it lies, and what it says on hover.</summary>
public sealed record BodyMapPin(string Label, BodyMapMark Mark, string Title, bool Current);

/// <summary>
/// What the body map partial draws: the figure from the front and from behind, the pins, and
/// whether staff place a mark on it (the clinic form) or only read it (the dermatologist).
/// </summary>
public sealed record BodyMapView(IReadOnlyList<BodyMapPin> Pins, bool Placing = false)
{
    /// <summary>The figure's drawing space: marks are kept as fractions of it.</summary>
    public const double Width = 120;

    public const double Height = 260;
}
