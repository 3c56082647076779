namespace Appliance.Protocol;

/// <summary>
/// Where the lesion lies in the overview frame: the circle within which the dermoscopic head's
/// axis meets the skin when the head is held 20–40 cm away and pointed at the lesion, as the
/// overview camera's mount sees it. X and Y are fractions of the frame's width and height, the
/// radius a fraction of its width. The host draws it on the overview as the lesion's mark.
/// </summary>
public sealed record OverviewAim(double X, double Y, double Radius)
{
    public string? Problem() =>
        !double.IsFinite(X) || !double.IsFinite(Y) || X is < 0 or > 1 || Y is < 0 or > 1 ? "the overview's aim must lie in the frame"
        : !double.IsFinite(Radius) || Radius is <= 0 or > 0.5 ? "the overview's aim radius must be above 0 and at most half the frame"
        : null;
}
