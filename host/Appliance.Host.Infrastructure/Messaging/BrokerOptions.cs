using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>Section <c>Broker</c>: the embedded MQTT broker appliances connect to.</summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>Address to listen on. Loopback by default; a clinic deployment sets the host's LAN address.</summary>
    [Required]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>TLS port; 0 picks a free one (tests and the demo).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8883;

    /// <summary>Names (DNS or IP) appliances use to reach the broker; they go into the server certificate.</summary>
    public string[] ServerNames { get; set; } = ["localhost"];

    /// <summary>The broker address written into provisioning bundles.</summary>
    [Required]
    public string AdvertisedHost { get; set; } = "localhost";

    /// <summary>
    /// Connections one client id may open per minute. An appliance's backoff (1 s and up,
    /// with jitter) stays far below it; a device hammering the broker does not.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConnectionsPerMinute { get; set; } = 30;
}
