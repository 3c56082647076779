using System.Threading.Channels;
using Appliance.Protocol;
using Appliance.TestData;
using MQTTnet;
using MQTTnet.Protocol;

namespace Appliance.EndToEndTests;

/// <summary>
/// A device driven by hand over a raw MQTT connection: it sends transfer messages exactly as a
/// test says (out of order, twice, damaged) and hears the host's progress answers.
/// </summary>
public sealed class RawDevice : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly string _deviceId;
    private readonly Channel<TransferProgress> _progress = Channel.CreateUnbounded<TransferProgress>();

    private RawDevice(IMqttClient client, string deviceId)
    {
        _client = client;
        _deviceId = deviceId;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.Topic == ApplianceTopics.Progress(_deviceId)
                && ProtocolJson.TryDeserialize<TransferProgress>(System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload), out var progress, out _))
            {
                _progress.Writer.TryWrite(progress);
            }

            return Task.CompletedTask;
        };
    }

    public static async Task<RawDevice> ConnectAsync(IMqttClient client, string deviceId)
    {
        var device = new RawDevice(client, deviceId);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Progress(deviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build());
        return device;
    }

    public Task PublishAsync(string topic, byte[] payload) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    public Task OfferAsync(TransferScript script) => PublishAsync(ApplianceTopics.Upload(_deviceId), script.OfferMessage());

    public Task SendAsync(string receiver, byte[] frame) => PublishAsync(ApplianceTopics.Transfer(_deviceId, receiver), frame);

    /// <summary>The next progress answer about <paramref name="seriesId"/>.</summary>
    public async Task<TransferProgress> NextProgressAsync(Guid seriesId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var progress = await _progress.Reader.ReadAsync(cts.Token);
            if (Guid.Parse(progress.SeriesId) == seriesId)
            {
                return progress;
            }
        }
    }

    /// <summary>Offer, every chunk in order, end; the host's answer to the end.</summary>
    public async Task<TransferProgress> UploadAsync(TransferScript script)
    {
        await OfferAsync(script);
        var answer = await NextProgressAsync(script.SeriesId);
        if (answer.State != TransferState.Receiving)
        {
            return answer;
        }

        for (var i = 0; i < script.ChunkCount; i++)
        {
            await SendAsync(answer.Receiver, script.Chunk(i));
        }

        await SendAsync(answer.Receiver, script.End());
        return await NextProgressAsync(script.SeriesId);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }
}
