using System.Buffers;
using System.Security.Authentication;
using Appliance.Host.Core;
using Appliance.Host.Core.Transfers;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>
/// The host's own MQTT client: the same path whether the broker is embedded or external. It
/// holds a persistent session on the device topics (offers and status through a shared
/// subscription when several host instances share an external broker; its own transfer topic), hands every message to
/// <see cref="HostInboundHandler"/> (the PUBACK goes out only after handling, so a crash
/// mid-filing means redelivery, not loss) and publishes commands and receipts.
/// </summary>
public sealed partial class HostMqttClient(
    FileCertificateAuthority ca,
    IOptions<BrokerOptions> brokerOptions,
    IOptions<TransferOptions> transferOptions,
    IServiceProvider services,
    TimeProvider time,
    ILogger<HostMqttClient> logger) : BackgroundService, IDeviceMessagePublisher
{
    private static readonly TimeSpan PublishWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(30);
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken) =>
        PublishAsync(topic, payload, retain: false, cancellationToken);

    public Task PublishRetainedAsync(string topic, byte[] payload, CancellationToken cancellationToken) =>
        PublishAsync(topic, payload, retain: true, cancellationToken);

    private async Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        await _connected.Task.WaitAsync(PublishWait, time, cancellationToken);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        var result = await _client.PublishAsync(message, cancellationToken);
        if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            throw new InvalidOperationException($"broker refused the host's publish to {topic}: {result.ReasonCode}");
        }
    }

    /// <summary>
    /// Starts the client and waits (bounded) for its first connection and subscriptions, so that
    /// "host started" means "host can file": an appliance that connects right after never
    /// publishes into a broker with nobody subscribed.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        try
        {
            await _connected.Task.WaitAsync(StartupWait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogNotReadyAtStart(logger, StartupWait.TotalSeconds);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved here, not injected: filing publishes receipts through this client, so a constructor dependency would be a cycle.
        var inbound = services.GetRequiredService<HostInboundHandler>();
        _client.ApplicationMessageReceivedAsync += e => HandleAsync(inbound, e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), stoppingToken);
        _client.DisconnectedAsync += _ =>
        {
            if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return Task.CompletedTask;
        };

        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                try
                {
                    await ConnectAsync(stoppingToken);
                    delay = TimeSpan.FromMilliseconds(200);
                    _connected.TrySetResult();
                }
                catch (Exception ex) when (ex is MqttCommunicationException or AuthenticationException or IOException or InvalidOperationException)
                {
                    LogConnectFailed(logger, ex.Message);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
                }
                catch (Exception ex) when (stoppingToken.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException)
                {
                    return; // stopped or disposed mid-connect
                }
            }

            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Stops the loop, then leaves the broker politely; here rather than at the loop's end, which a
    /// host disposed without being stopped would reach with the client already disposed.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), cancellationToken);
        }
    }

    /// <summary>
    /// Hands one message to the host. A failure is logged here, where an operator sees it (the MQTT
    /// library reports it only to its own logger), and rethrown, so the library handles the message as before.
    /// </summary>
    private async Task HandleAsync(HostInboundHandler inbound, string topic, byte[] payload, CancellationToken stoppingToken)
    {
        try
        {
            await inbound.HandleAsync(topic, payload, stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // The topic and the error only: a payload may hold sealed patient data.
            LogHandlingFailed(logger, topic, ex.GetType().Name, ex.Message);
            throw;
        }
    }

    /// <summary>
    /// One client id per host instance: the default instance uses the certificate's CN, others add
    /// their instance id, so several instances can hold sessions on one external broker at once.
    /// </summary>
    public string ClientId => transferOptions.Value.InstanceId == new TransferOptions().InstanceId
        ? FileCertificateAuthority.HostClientId
        : $"{FileCertificateAuthority.HostClientId}.{transferOptions.Value.InstanceId}";

    /// <summary>
    /// The external broker over mutual TLS; the embedded one inside the process (no socket, no TLS
    /// between two parts of one process), under the same client certificate and the same access control.
    /// </summary>
    private (MqttClientOptions Options, string Where) Connection()
    {
        // One host keeps its session for a week, so what appliances send while it restarts waits for it.
        // Instances sharing the load keep none: a broker goes on handing a share of the messages to
        // an offline member's session (mosquitto queues them there), so a dead instance would swallow
        // offers until it came back. Without a session it leaves the group the moment its connection
        // drops, and what it had not answered is offered again by the appliances to the others.
        var shared = !string.IsNullOrEmpty(brokerOptions.Value.SharedSubscriptionGroup);
        var builder = new MqttClientOptionsBuilder()
            .WithClientId(ClientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(shared)
            .WithSessionExpiryInterval(shared ? 0 : (uint)TimeSpan.FromDays(7).TotalSeconds);
        var certificate = ca.HostClientCertificateFor(ClientId);
        var o = brokerOptions.Value;
        if (o.Mode == BrokerMode.Embedded)
        {
            // Resolved late: in external mode there is no embedded broker to resolve.
            var broker = services.GetRequiredService<EmbeddedMqttBroker>();
            var options = builder.WithTcpServer("in-process").WithStreamProvider(broker.InProcessDialler(certificate)).Build();
            return (options, "the embedded broker (in process)");
        }

        return (builder
            .WithTcpServer(o.ExternalHost, o.ExternalPort)
            .WithTlsOptions(tls => tls
                .UseTls()
                .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .WithTargetHost(o.ExternalHost)
                .WithClientCertificates([certificate])
                .WithCertificateValidationHandler(ValidateBroker))
            .Build(), $"the broker at {o.ExternalHost}:{o.ExternalPort}");
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var (options, where) = Connection();
        var result = await _client.ConnectAsync(options, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"broker refused the host client: {result.ResultCode}");
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in ApplianceTopics.HostSubscriptions(transferOptions.Value.InstanceId, brokerOptions.Value.SharedSubscriptionGroup))
        {
            subscribe.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
        }

        var subscribed = await _client.SubscribeAsync(subscribe.Build(), cancellationToken);
        foreach (var item in subscribed.Items.Where(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
        {
            throw new InvalidOperationException($"broker refused the host's subscription to {item.TopicFilter.Topic}: {item.ResultCode}");
        }

        LogConnected(logger, where, ClientId);
    }

    private bool ValidateBroker(MqttClientCertificateValidationEventArgs e)
    {
        if (e.Certificate is null)
        {
            return false;
        }

        // The broker's name is checked as well as its chain: a certificate the host CA issued to
        // something else (an appliance cannot hold a server certificate, but a second broker can) is not this broker.
        if ((e.SslPolicyErrors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var server = new System.Security.Cryptography.X509Certificates.X509Certificate2(e.Certificate);
        return MutualTls.ChainsTo(server, ca.Ca, MutualTls.ServerAuthOid, time.GetUtcNow(), out _);
    }

    public override void Dispose()
    {
        // The loop is cancelled before the client it uses goes.
        base.Dispose();
        _client.Dispose();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Host client connected to {Broker} as {ClientId}")]
    private static partial void LogConnected(ILogger logger, string broker, string clientId);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Host client not connected {Seconds} s after start; filing waits until it is")]
    private static partial void LogNotReadyAtStart(ILogger logger, double seconds);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "Host could not handle a message on {Topic}: {ErrorType}: {Error}")]
    private static partial void LogHandlingFailed(ILogger logger, string topic, string errorType, string error);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Host client could not connect: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string reason);
}
