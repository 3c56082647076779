using System.Buffers;
using System.Security.Authentication;
using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// The link to the host: connects over mutual TLS with a persistent session, keeps the command
/// progress and receipt subscriptions, sends status changes as they happen and every pending
/// series through <see cref="SeriesUploader"/>, and reconnects
/// with backoff and jitter when the network or the broker goes away. Capture never waits on it.
/// </summary>
public sealed partial class MqttUplinkService(
    UplinkCredentials credentials,
    ApplianceIdentity identity,
    ISeriesStore store,
    StatusFeed statusFeed,
    WorkSignal signal,
    DeviceMessageHandler handler,
    SeriesUploader uploader,
    ISystemIntegrity integrity,
    TimeProvider time,
    IOptions<UplinkOptions> options,
    ILogger<MqttUplinkService> logger) : BackgroundService
{
    // When each series may be tried again: after Uplink:ReceiptTimeout once filed (the receipt is
    // on its way) or refused, after Uplink:PollInterval when the transfer did not finish.
    private readonly Dictionary<string, DateTimeOffset> _nextAttempt = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
                handler.HandleAsync(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), stoppingToken);
            client.DisconnectedAsync += _ =>
            {
                signal.Notify();
                return Task.CompletedTask;
            };

            try
            {
                var result = await client.ConnectAsync(BuildClientOptions(), stoppingToken);
                // MQTTnet does not throw on a refused CONNACK: the result code is the answer.
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new UplinkRefusedException($"broker refused the connection: {result.ResultCode} {result.ReasonString}");
                }

                failures = 0;
                LogConnected(logger, credentials.BrokerHost, credentials.BrokerPort, result.IsSessionPresent);
                await SubscribeAsync(client, stoppingToken);
                // Tells the host (and its fleet view) whether this appliance can take jobs now.
                var problems = integrity.Problems;
                statusFeed.Publish(new ApplianceStatus(
                    identity.DeviceId,
                    problems.Count == 0 ? "online" : "unsafe",
                    identity.FirmwareVersion,
                    await store.CountAsync(stoppingToken),
                    time.GetUtcNow(),
                    Reason: problems.Count == 0 ? null : string.Join("; ", problems)));
                await RunConnectedAsync(client, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or UplinkRefusedException or AuthenticationException
                or IOException or System.Net.Sockets.SocketException or MqttConnectingFailedException or OperationCanceledException)
            {
                LogLinkFailed(logger, ex.GetType().Name, ex.Message);
            }
            finally
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None);
                }
            }

            failures++;
            var delay = Backoff(failures);
            LogReconnecting(logger, delay.TotalMilliseconds);
            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private MqttClientOptions BuildClientOptions()
    {
        var o = options.Value;
        return new MqttClientOptionsBuilder()
            .WithTcpServer(credentials.BrokerHost, credentials.BrokerPort)
            .WithClientId(credentials.DeviceId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)o.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(o.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(tls => tls
                .UseTls()
                .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .WithTargetHost(credentials.BrokerHost)
                .WithClientCertificates([credentials.ClientCertificate])
                .WithCertificateValidationHandler(ValidateServer))
            .Build();
    }

    private bool ValidateServer(MqttClientCertificateValidationEventArgs e)
    {
        if (e.Certificate is null)
        {
            return false;
        }

        using var server = new System.Security.Cryptography.X509Certificates.X509Certificate2(e.Certificate);
        // Name mismatch is still fatal; chain errors are expected (our CA is not in the OS store) and checked here instead.
        if (e.SslPolicyErrors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            LogServerRejected(logger, "name does not match the broker address");
            return false;
        }

        if (!MutualTls.ChainsTo(server, credentials.CaCertificate, MutualTls.ServerAuthOid, time.GetUtcNow(), out var reason))
        {
            LogServerRejected(logger, reason);
            return false;
        }

        return true;
    }

    private async Task SubscribeAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Command(credentials.DeviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Progress(credentials.DeviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Receipt(credentials.DeviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build();
        var result = await client.SubscribeAsync(subscribe, cancellationToken);
        foreach (var item in result.Items)
        {
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
            {
                throw new UplinkRefusedException($"subscription to {item.TopicFilter.Topic} refused: {item.ResultCode}");
            }
        }
    }

    private async Task RunConnectedAsync(IMqttClient client, CancellationToken stoppingToken)
    {
        // Status goes out as it happens, beside uploads: "accepted" must not wait behind a 74 MB series.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var statusPump = PumpStatusAsync(client, linked.Token);
        try
        {
            await UploadPendingAsync(client, linked.Token);
        }
        finally
        {
            await linked.CancelAsync();
            await statusPump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (statusPump.IsFaulted)
        {
            await statusPump; // surfaces the link failure to the reconnect loop
        }
    }

    private async Task PumpStatusAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        while (await statusFeed.Reader.WaitToReadAsync(cancellationToken))
        {
            while (statusFeed.Reader.TryPeek(out var status))
            {
                _ = await UplinkPublishing.PublishAsync(client, ApplianceTopics.Status(credentials.DeviceId), ProtocolJson.Serialize(status), cancellationToken);
                statusFeed.Reader.TryRead(out _); // taken off only once sent, so a cut link does not lose it
            }
        }
    }

    private async Task UploadPendingAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var o = options.Value;
        while (client.IsConnected && !cancellationToken.IsCancellationRequested)
        {
            var pending = await store.ListPendingAsync(cancellationToken);
            foreach (var series in pending)
            {
                if (_nextAttempt.TryGetValue(series.SeriesId, out var next) && time.GetUtcNow() < next)
                {
                    continue;
                }

                if (series.State == SeriesState.Queued)
                {
                    await store.SetStateAsync(series.SeriesId, SeriesState.Uploading, cancellationToken);
                }

                var outcome = await uploader.UploadAsync(client, series.SeriesId, cancellationToken);
                if (outcome != UploadOutcome.Gone)
                {
                    _nextAttempt[series.SeriesId] = time.GetUtcNow() + (outcome == UploadOutcome.Unfinished ? o.PollInterval : o.ReceiptTimeout);
                }
            }

            var held = pending.Select(p => p.SeriesId).ToHashSet();
            foreach (var gone in _nextAttempt.Keys.Where(id => !held.Contains(id)).ToList())
            {
                _nextAttempt.Remove(gone);
            }

            uploader.Forget([.. uploader.CachedSeries.Where(id => !held.Contains(id))]);
            await signal.WaitAsync(o.PollInterval, time, cancellationToken);
        }
    }

    /// <summary>Exponential backoff with full jitter, so a clinic's appliances do not reconnect in lockstep.</summary>
    private TimeSpan Backoff(int failures)
    {
        var o = options.Value;
        var ceiling = Math.Min(o.ReconnectDelayMax.TotalMilliseconds, o.ReconnectDelayMin.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)));
        var jittered = o.ReconnectDelayMin.TotalMilliseconds + (Random.Shared.NextDouble() * (ceiling - o.ReconnectDelayMin.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(jittered);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Connected to broker {Host}:{Port} (session present: {SessionPresent})")]
    private static partial void LogConnected(ILogger logger, string host, int port, bool sessionPresent);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Uplink failed ({ErrorType}): {Reason}")]
    private static partial void LogLinkFailed(ILogger logger, string errorType, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Reconnecting in {DelayMs:F0} ms")]
    private static partial void LogReconnecting(ILogger logger, double delayMs);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Broker certificate rejected: {Reason}")]
    private static partial void LogServerRejected(ILogger logger, string reason);
}

/// <summary>The broker said no (connection, subscription or publish); retried after backoff.</summary>
public sealed class UplinkRefusedException(string message) : Exception(message);
