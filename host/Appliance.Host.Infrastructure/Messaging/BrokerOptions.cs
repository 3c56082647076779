using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>Which broker the appliances and the host's own client meet at.</summary>
public enum BrokerMode
{
    /// <summary>The host runs its own MQTT broker (MQTTnet) in process: nothing else to install.</summary>
    Embedded,

    /// <summary>
    /// An existing broker (mosquitto, or a cluster) run by the clinic's IT; the host connects to it
    /// as a client and writes its configuration, ACL and revocation list with <c>broker-config</c>.
    /// </summary>
    External,
}

/// <summary>Section <c>Broker</c>: the MQTT broker appliances connect to.</summary>
public sealed class BrokerOptions : IValidatableObject
{
    public const string Section = "Broker";

    public BrokerMode Mode { get; set; } = BrokerMode.Embedded;

    /// <summary>External mode: the broker's address as the host reaches it (also the TLS name checked).</summary>
    public string ExternalHost { get; set; } = "localhost";

    /// <summary>External mode: the broker's TLS port.</summary>
    [Range(1, 65535)]
    public int ExternalPort { get; set; } = 8883;

    /// <summary>
    /// External mode with several host instances: the MQTT 5 shared-subscription group the
    /// instances join, so each offer (and status message) goes to one of them. Empty for one instance.
    /// </summary>
    [RegularExpression("^[a-z0-9-]{1,32}\\z")]
    public string? SharedSubscriptionGroup { get; set; }

    /// <summary>
    /// Largest MQTT packet a client may send, announced in CONNACK and enforced while reading: a
    /// larger one is refused as soon as its length is read, before any of it is buffered, and the
    /// connection closed. A transfer chunk (Transfers:MaxChunkSize plus a 25-byte header) must fit.
    /// </summary>
    [Range(64 * 1024, 256 * 1024 * 1024)]
    public int MaxPacketSize { get; set; } = 2 * 1024 * 1024;

    /// <summary>Embedded broker: a TLS handshake not finished in this time ends (a socket that never starts TLS, slowloris).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Embedded broker: a connection without a successful CONNECT this long after it was accepted ends.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Embedded broker: connections accepted but not yet authenticated (handshake and CONNECT), in all.</summary>
    [Range(1, 100_000)]
    public int MaxUnauthenticatedConnections { get; set; } = 64;

    /// <summary>Embedded broker: connections not yet authenticated from one client address.</summary>
    [Range(1, 100_000)]
    public int MaxUnauthenticatedConnectionsPerAddress { get; set; } = 16;

    /// <summary>
    /// Address to listen on (that address only, IPv4 or IPv6). Loopback by default; a clinic
    /// deployment sets the host's LAN address.
    /// </summary>
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
    /// Further brokers (<c>host:port</c>, the nodes of a clustered broker) written into every
    /// bundle: an appliance that cannot reach one tries the next.
    /// </summary>
    public string[] AlternateAddresses { get; set; } = [];

    /// <summary>
    /// Connections one client id may open per minute. An appliance's backoff (1 s and up,
    /// with jitter) stays far below it; a device hammering the broker does not.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConnectionsPerMinute { get; set; } = 30;

    /// <summary>
    /// External mode: the folder <c>broker-config</c> wrote mosquitto's files to. When set, the
    /// running host keeps its revocation list and ACL current (<see cref="MosquittoAccessKeeper"/>).
    /// </summary>
    public string? MosquittoConfigFolder { get; set; }

    /// <summary>External mode: run after the access files change, so mosquitto reads them (e.g. <c>systemctl reload mosquitto</c>).</summary>
    public string? MosquittoReloadCommand { get; set; }

    /// <summary>External mode: how often the keeper looks for a change made by another process (an admin's command).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MosquittoRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The port written into provisioning bundles: the embedded listener's, or the external broker's.</summary>
    public int AdvertisedPort => Mode == BrokerMode.External ? ExternalPort : Port;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode == BrokerMode.Embedded && !string.IsNullOrEmpty(SharedSubscriptionGroup))
        {
            // MQTTnet's server has no shared subscriptions, and one embedded broker means one host anyway.
            yield return new ValidationResult("Broker:SharedSubscriptionGroup needs Broker:Mode External.", [nameof(SharedSubscriptionGroup)]);
        }
    }
}
