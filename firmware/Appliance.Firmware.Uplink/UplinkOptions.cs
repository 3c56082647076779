using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Firmware.Uplink;

/// <summary>Section <c>Uplink</c>: timing of the link to the host's broker.</summary>
public sealed class UplinkOptions
{
    public const string Section = "Uplink";

    [Range(typeof(TimeSpan), "00:00:05", "00:10:00")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ReconnectDelayMin { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconnectDelayMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A series sent but not confirmed filed within this time is sent again (filing is idempotent).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReceiptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the broker keeps this device's session (and commands queued for it) while it is offline.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Bytes per transfer chunk. Smaller chunks lose less to a cut connection; larger ones cost
    /// fewer messages. Must stay under the host's Transfers:MaxChunkSize and the broker's packet
    /// limit. 60 KiB keeps each PUBLISH under MQTTnet's 64 KiB packet writer buffer: measured here,
    /// every larger packet took about 44 ms to send (256 KiB chunks: 6 MB/s; 60 KiB: 70 MB/s). At
    /// the default the store hashed the chunks when the series was stored; another size hashes them at the offer.
    /// </summary>
    [Range(Protocol.TransferOffer.MinChunkSize, 1024 * 1024)]
    public int ChunkSize { get; set; } = Protocol.TransferOffer.DefaultChunkSize;

    /// <summary>Chunks sent before waiting for the broker's acknowledgements: keeps the link busy across its round trip.</summary>
    [Range(1, 64)]
    public int ChunksInFlight { get; set; } = 8;

    /// <summary>How long to wait for the host's answer to an offer or an end before giving the round up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ProgressTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the worker looks at the store even without a wake-up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Who the appliance is on the wire and where the broker is; from the provisioning bundle.</summary>
public sealed record UplinkCredentials(
    string DeviceId,
    X509Certificate2 ClientCertificate,
    X509Certificate2 CaCertificate,
    string BrokerHost,
    int BrokerPort,
    byte[] HostSigningPublicKey,
    IReadOnlyList<BrokerEndpoint>? AlternateBrokers = null)
{
    /// <summary>The brokers to try, the bundle's first: the uplink moves to the next when one cannot be reached.</summary>
    public IReadOnlyList<BrokerEndpoint> Endpoints => [new BrokerEndpoint(BrokerHost, BrokerPort), .. AlternateBrokers ?? []];

    /// <summary>The link's credentials as the provisioning bundle gives them.</summary>
    public static UplinkCredentials FromBundle(Protocol.ProvisioningBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new UplinkCredentials(
            bundle.DeviceId,
            Protocol.MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem),
            Protocol.MutualTls.LoadCertificate(bundle.CaCertificatePem),
            bundle.BrokerHost,
            bundle.BrokerPort,
            Convert.FromBase64String(bundle.HostSigningPublicKey),
            [.. (bundle.AlternateBrokers ?? []).Select(b => Protocol.ProvisioningBundle.TryParseBroker(b, out var host, out var port)
                ? new BrokerEndpoint(host, port)
                : throw new InvalidOperationException($"alternate broker '{b}' is not host:port"))]);
    }
}

/// <summary>One broker address the appliance may dial (the certificate must name <see cref="Host"/>).</summary>
public sealed record BrokerEndpoint(string Host, int Port);
