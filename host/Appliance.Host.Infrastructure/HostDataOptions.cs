using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Infrastructure;

/// <summary>Section <c>Host</c>: where the host keeps its CA, keys and archive.</summary>
public sealed class HostDataOptions
{
    public const string Section = "Host";

    [Required]
    public string DataFolder { get; set; } = "data/host";

    /// <summary>
    /// A folder every host instance reads and none writes (an orchestrator's secret mount) with
    /// the CA, the host instances' client certificates and the archive, sealing, signing and
    /// session keys, made once by <c>appliance-host secrets export</c>. Unset (one machine), they
    /// are made on first start in the data folder.
    /// </summary>
    public string? SecretsFolder { get; set; }

    public bool SharesSecrets => !string.IsNullOrEmpty(SecretsFolder);

    public string Resolve(params string[] parts) => Path.Combine([Path.GetFullPath(DataFolder), .. parts]);

    /// <summary>Where a shared secret is: in the secrets folder when there is one, else in the data folder.</summary>
    public string Secret(params string[] parts) => SharesSecrets ? Path.Combine([Path.GetFullPath(SecretsFolder!), .. parts]) : Resolve(parts);
}
