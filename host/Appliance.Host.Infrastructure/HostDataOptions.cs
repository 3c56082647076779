using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Infrastructure;

/// <summary>Section <c>Host</c>: where the host keeps its CA, keys and archive.</summary>
public sealed class HostDataOptions
{
    public const string Section = "Host";

    [Required]
    public string DataFolder { get; set; } = "data/host";

    public string Resolve(params string[] parts) => Path.Combine([Path.GetFullPath(DataFolder), .. parts]);
}
