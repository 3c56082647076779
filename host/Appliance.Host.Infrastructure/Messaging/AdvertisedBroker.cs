using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>The broker address that goes into bundles: the configured one, or, when the embedded broker picked its own port, the port it is listening on.</summary>
public sealed class AdvertisedBroker(IOptions<BrokerOptions> options, IServiceProvider services)
{
    public string Host => options.Value.AdvertisedHost;

    public int Port => options.Value is { Mode: BrokerMode.Embedded, Port: 0 }
        ? services.GetRequiredService<EmbeddedMqttBroker>().BoundPort
        : options.Value.AdvertisedPort;

    public IReadOnlyList<string> Alternates => options.Value.AlternateAddresses;
}
