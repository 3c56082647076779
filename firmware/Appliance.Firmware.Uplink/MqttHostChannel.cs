using Appliance.Firmware.Core;
using MQTTnet;
using MQTTnet.Protocol;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// A connected MQTT client as the loops' <see cref="IHostChannel"/>: QoS 1, a refusal by the
/// broker an error. Disposing it disconnects with the will (a firmware stopping is an appliance
/// going offline too) and releases the client.
/// </summary>
public sealed class MqttHostChannel(IMqttClient client) : IHostChannel, IAsyncDisposable
{
    public bool IsConnected => client.IsConnected;

    public async Task<bool> PublishAsync(string topic, ArraySegment<byte> payload, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await client.PublishAsync(message, cancellationToken);
        if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            throw new UplinkRefusedException($"broker refused publish to {topic}: {result.ReasonCode} {result.ReasonString}");
        }

        return result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(), CancellationToken.None);
            }
        }
        finally
        {
            client.Dispose();
        }
    }
}

/// <summary>The broker said no (connection, subscription or publish); retried after backoff.</summary>
public sealed class UplinkRefusedException(string message) : Exception(message);
