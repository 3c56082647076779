using System.Buffers;
using System.Security.Authentication;
using Appliance.Host.Core;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>
/// The host's own MQTT client: the same path whether the broker is embedded or external. It
/// holds a persistent session on the device topics, hands every message to
/// <see cref="HostInboundHandler"/> (the PUBACK goes out only after handling, so a crash
/// mid-filing means redelivery, not loss) and publishes commands and receipts.
/// </summary>
public sealed partial class HostMqttClient(
    EmbeddedMqttBroker broker,
    FileCertificateAuthority ca,
    IServiceProvider services,
    TimeProvider time,
    ILogger<HostMqttClient> logger) : BackgroundService, IDeviceMessagePublisher
{
    private static readonly TimeSpan PublishWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(30);
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken)
    {
        await _connected.Task.WaitAsync(PublishWait, time, cancellationToken);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
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
        _client.ApplicationMessageReceivedAsync += e => inbound.HandleAsync(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), stoppingToken);
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
            }

            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.ListenAddress.ToString(), broker.BoundPort)
            .WithClientId(FileCertificateAuthority.HostClientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)TimeSpan.FromDays(7).TotalSeconds)
            .WithTlsOptions(tls => tls
                .UseTls()
                .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .WithTargetHost("localhost")
                .WithClientCertificates([ca.HostClientCertificate])
                .WithCertificateValidationHandler(ValidateBroker))
            .Build();
        var result = await _client.ConnectAsync(options, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"broker refused the host client: {result.ResultCode}");
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in ApplianceTopics.HostSubscriptions)
        {
            subscribe.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
        }

        await _client.SubscribeAsync(subscribe.Build(), cancellationToken);
        LogConnected(logger, broker.BoundPort);
    }

    private bool ValidateBroker(MqttClientCertificateValidationEventArgs e)
    {
        if (e.Certificate is null)
        {
            return false;
        }

        using var server = new System.Security.Cryptography.X509Certificates.X509Certificate2(e.Certificate);
        return MutualTls.ChainsTo(server, ca.Ca, MutualTls.ServerAuthOid, time.GetUtcNow(), out _);
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Host client connected to the broker on port {Port}")]
    private static partial void LogConnected(ILogger logger, int port);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Host client not connected {Seconds} s after start; filing waits until it is")]
    private static partial void LogNotReadyAtStart(ILogger logger, double seconds);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Host client could not connect: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string reason);
}
