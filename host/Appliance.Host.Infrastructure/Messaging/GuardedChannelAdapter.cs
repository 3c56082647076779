using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>
/// One client's connection as MQTTnet's server sees it, watched on the way: CONNACK announces the
/// broker's maximum packet size (MQTTnet 5.2 always says "unlimited"), a successful CONNACK marks
/// the connection authenticated, a packet refused for its size is remembered for the log, and a
/// shared subscription (which MQTTnet refuses without telling its interceptors) is logged.
/// </summary>
internal sealed partial class GuardedChannelAdapter(
    IMqttChannelAdapter inner,
    uint maxPacketSize,
    ILogger logger,
    string address,
    Action authenticated) : IMqttChannelAdapter
{
    private string _clientId = "(before CONNECT)";

    /// <summary>Why the connection was ended by the guard, if it was.</summary>
    public string? RefusedFor { get; private set; }

    public long BytesReceived => inner.BytesReceived;

    public long BytesSent => inner.BytesSent;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecureConnection => inner.IsSecureConnection;

    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        MqttPacket packet;
        try
        {
            packet = await inner.ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (TooLarge(ex) is { } tooLarge)
        {
            RefusedFor = $"{_clientId}: {tooLarge.Message}";
            throw;
        }

        switch (packet)
        {
            case MqttConnectPacket connect:
                _clientId = connect.ClientId ?? "(no client id)";
                break;
            case MqttSubscribePacket subscribe:
                foreach (var filter in subscribe.TopicFilters.Where(f => f.Topic?.StartsWith("$share/", StringComparison.Ordinal) == true))
                {
                    LogSharedSubscriptionRefused(logger, _clientId, address, filter.Topic);
                }

                break;
        }

        return packet;
    }

    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (packet is MqttConnAckPacket connAck)
        {
            connAck.MaximumPacketSize = maxPacketSize;
            if (connAck.ReasonCode == MqttConnectReasonCode.Success)
            {
                authenticated();
            }
        }

        return inner.SendPacketAsync(packet, cancellationToken);
    }

    public void ResetStatistics() => inner.ResetStatistics();

    public void Dispose()
    {
        // The inner adapter belongs to the listener, which disposes it when the connection ends.
    }

    private static MqttPacketTooLargeException? TooLarge(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is MqttPacketTooLargeException tooLarge)
            {
                return tooLarge;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Broker refused {ClientId} from {Address} a shared subscription to {Filter}: the embedded broker has none")]
    private static partial void LogSharedSubscriptionRefused(ILogger logger, string clientId, string address, string filter);
}
