using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>
/// Where the lesion lies in an overview frame, from the mount's geometry: the overview camera
/// sits <see cref="OverviewOptions.MountOffsetMillimetres"/> from the head's axis, tilted so the
/// axes cross at <see cref="OverviewOptions.AimDistanceMillimetres"/>. Pointed at the lesion
/// from distance Z, the head's axis meets the skin at an angle atan(offset / Z) − tilt from the
/// overview camera's axis, towards the head: on the frame's centre line at the crossing, below
/// it nearer, above it farther. The circle covers every distance from 20 to 40 cm, widened by
/// how far off the head may be pointed.
/// </summary>
public static class OverviewAiming
{
    /// <summary>The distances the overview step asks staff to hold the head at (20–40 cm).</summary>
    public const double NearestMillimetres = 200;

    public const double FarthestMillimetres = 400;

    public static OverviewAim Aim(OverviewOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var focalPixels = options.FocalLengthMillimetres / (options.SensorWidthMillimetres / options.Width);
        var tilt = Math.Atan(options.MountOffsetMillimetres / options.AimDistanceMillimetres);
        double Below(double distance) => focalPixels * Math.Tan(Math.Atan(options.MountOffsetMillimetres / distance) - tilt);
        var (near, far) = (Below(NearestMillimetres), Below(FarthestMillimetres));
        // Pointing error on the skin is widest in the frame when the head is nearest.
        var radius = ((near - far) / 2) + (focalPixels * options.AimToleranceMillimetres / NearestMillimetres);
        return new OverviewAim(0.5, 0.5 + ((near + far) / 2 / options.Height), radius / options.Width);
    }
}
