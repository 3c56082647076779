using Appliance.Host.Core;

namespace Appliance.TestKit;

/// <summary>Records what the host would publish to its devices; when failing, throws as the MQTT client does with no broker.</summary>
public sealed class FakeDeviceMessagePublisher : IDeviceMessagePublisher
{
    private readonly List<(string Topic, byte[] Payload)> _sent = [];

    public bool Failing { get; set; }

    public List<(string Topic, byte[] Payload)> Snapshot()
    {
        lock (_sent)
        {
            return [.. _sent];
        }
    }

    public Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken) => Record(topic, payload);

    public Task PublishRetainedAsync(string topic, byte[] payload, CancellationToken cancellationToken) => Record(topic, payload);

    private Task Record(string topic, byte[] payload)
    {
        if (Failing)
        {
            return Task.FromException(new TimeoutException("the broker did not answer"));
        }

        lock (_sent)
        {
            _sent.Add((topic, payload));
        }

        return Task.CompletedTask;
    }
}
