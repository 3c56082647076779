using System.Buffers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// The connection itself: mutual TLS to one of the bundle's brokers with a persistent session
/// and a will, the broker's certificate checked against the bundle's CA, the device's topics
/// subscribed, everything received handed to <see cref="HostMessageHandler"/>. After a failure it
/// moves to the next broker in the bundle and says how long to wait (backoff with jitter).
/// </summary>
public sealed partial class BrokerLink(
    UplinkCredentials credentials,
    ApplianceIdentity identity,
    HostMessageHandler handler,
    WorkSignal signal,
    TimeProvider time,
    IOptions<UplinkOptions> options,
    ILogger<BrokerLink> logger)
{
    // Which of the bundle's brokers to dial: kept while it works, the next one after a failure.
    private int _endpoint;
    private int _failures;

    private BrokerEndpoint Endpoint => credentials.Endpoints[_endpoint % credentials.Endpoints.Count];

    /// <summary>
    /// Connects and subscribes; the caller owns the returned channel (disposing it disconnects).
    /// Messages received are handled with <paramref name="stoppingToken"/>, the firmware's own.
    /// </summary>
    public async Task<MqttHostChannel> ConnectAsync(CancellationToken stoppingToken)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            client.ApplicationMessageReceivedAsync += e =>
                handler.HandleAsync(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), stoppingToken);
            client.DisconnectedAsync += _ =>
            {
                signal.Notify(); // the upload scheduler's wait ends and it sees the link gone
                return Task.CompletedTask;
            };

            var result = await client.ConnectAsync(BuildClientOptions(), stoppingToken);
            // MQTTnet does not throw on a refused CONNACK: the result code is the answer.
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new UplinkRefusedException($"broker refused the connection: {result.ResultCode} {result.ReasonString}");
            }

            LogConnected(logger, Endpoint.Host, Endpoint.Port, result.IsSessionPresent);
            await SubscribeAsync(client, stoppingToken);
            _failures = 0;
            return new MqttHostChannel(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>After a failed or lost connection: the next broker in the bundle's list, and how long to wait before dialling it.</summary>
    public TimeSpan NextRetryDelay()
    {
        _failures++;
        if (credentials.Endpoints.Count > 1)
        {
            _endpoint++;
        }

        // Exponential backoff with full jitter, so a clinic's appliances do not reconnect in lockstep.
        var o = options.Value;
        var ceiling = Math.Min(o.ReconnectDelayMax.TotalMilliseconds, o.ReconnectDelayMin.TotalMilliseconds * Math.Pow(2, Math.Min(_failures - 1, 20)));
        var jittered = o.ReconnectDelayMin.TotalMilliseconds + (Random.Shared.NextDouble() * (ceiling - o.ReconnectDelayMin.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(jittered);
    }

    private MqttClientOptions BuildClientOptions()
    {
        var o = options.Value;
        return new MqttClientOptionsBuilder()
            .WithTcpServer(Endpoint.Host, Endpoint.Port)
            .WithClientId(credentials.DeviceId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)o.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(o.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10))
            // The broker publishes this if the link dies, so the fleet view shows the appliance offline.
            .WithWillTopic(ApplianceTopics.Status(credentials.DeviceId))
            .WithWillPayload(ProtocolJson.Serialize(new ApplianceStatus(identity.DeviceId, ApplianceState.Offline, identity.FirmwareVersion, 0, time.GetUtcNow())))
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTlsOptions(tls => tls
                .UseTls()
                .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .WithTargetHost(Endpoint.Host)
                .WithClientCertificates([credentials.ClientCertificate])
                .WithCertificateValidationHandler(ValidateServer))
            .Build();
    }

    private bool ValidateServer(MqttClientCertificateValidationEventArgs e)
    {
        if (BrokerCertificate.IsTrusted(e.Certificate, e.SslPolicyErrors, credentials.CaCertificate, time.GetUtcNow(), out var reason))
        {
            return true;
        }

        LogServerRejected(logger, reason!);
        return false;
    }

    private async Task SubscribeAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var kind in ApplianceTopics.DeviceSubscribeKinds)
        {
            builder.WithTopicFilter(f => f.WithTopic(ApplianceTopics.For(credentials.DeviceId, kind)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
        }

        var subscribe = builder.Build();
        var result = await client.SubscribeAsync(subscribe, cancellationToken);
        foreach (var item in result.Items)
        {
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
            {
                throw new UplinkRefusedException($"subscription to {item.TopicFilter.Topic} refused: {item.ResultCode}");
            }
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Connected to broker {Host}:{Port} (session present: {SessionPresent})")]
    private static partial void LogConnected(ILogger logger, string host, int port, bool sessionPresent);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Broker certificate rejected: {Reason}")]
    private static partial void LogServerRejected(ILogger logger, string reason);
}
