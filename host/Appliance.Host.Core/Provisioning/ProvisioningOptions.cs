using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Core.Provisioning;

/// <summary>Section <c>Provisioning</c>.</summary>
public sealed class ProvisioningOptions
{
    public const string Section = "Provisioning";

    /// <summary>
    /// After a rotation, how long series and profiles signed with the replaced key are still
    /// filed (those queued on the appliance before it enrolled the new package), counted from
    /// when the appliance first shows the new key. A re-provisioning accepts no older key at all.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan PreviousKeyGrace { get; set; } = TimeSpan.FromDays(30);
}
