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
/// When a wipe is decided it stops uploading (so the store can be closed), tells the host the
/// order arrived, sends the signed wipe report, disconnects and does not come back.
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
    ICalibrationState calibration,
    WipeSignal wipe,
    TimeProvider time,
    IOptions<UplinkOptions> options,
    ILogger<MqttUplinkService> logger) : BackgroundService
{
    // When each series may be tried again: after Uplink:ReceiptTimeout once filed (the receipt is
    // on its way) or refused, after Uplink:PollInterval when the transfer did not finish.
    private readonly Dictionary<string, DateTimeOffset> _nextAttempt = [];

    // Which of the bundle's brokers to dial: kept while it works, the next one after a failure.
    private int _endpoint;

    // The calibration profile the broker has taken for the host: sent once, not at every reconnection.
    private string? _profileSent;

    private BrokerEndpoint Endpoint => credentials.Endpoints[_endpoint % credentials.Endpoints.Count];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested && !wipe.Requested.IsCompleted)
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
                LogConnected(logger, Endpoint.Host, Endpoint.Port, result.IsSessionPresent);
                await SubscribeAsync(client, stoppingToken);
                // Tells the host (and its fleet view) whether this appliance can take jobs now.
                var problems = integrity.Problems;
                statusFeed.Publish(new ApplianceStatus(
                    identity.DeviceId,
                    problems.Count == 0 ? ApplianceState.Online : ApplianceState.Unsafe,
                    identity.FirmwareVersion,
                    await store.CountAsync(stoppingToken),
                    time.GetUtcNow(),
                    Reason: problems.Count == 0 ? null : string.Join("; ", problems),
                    CalibratedAt: calibration.Current?.CreatedAt,
                    CalibrationDeltaE: calibration.Current?.Rings.Max(r => r.DeltaEMeanAfter),
                    IntegrityCheckedAt: integrity.CheckedAt,
                    // Which key this appliance holds, so the host binds its orders to that key
                    // (after a rotation: from the moment the new package is enrolled, not before).
                    SigningKey: Convert.ToBase64String(identity.SigningPublicKey)));
                await SendProfileIfNewAsync(client, stoppingToken);
                await RunConnectedAsync(client, stoppingToken);
                if (wipe.Requested.IsCompleted)
                {
                    await ReportWipeAsync(client, stoppingToken);
                    break;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or UplinkRefusedException or AuthenticationException
                or IOException or System.Net.Sockets.SocketException or MqttConnectingFailedException or OperationCanceledException or TimeoutException)
            {
                LogLinkFailed(logger, ex.GetType().Name, ex.Message);
            }
            finally
            {
                if (client.IsConnected)
                {
                    // With the will: a firmware stopping is an appliance going offline too.
                    await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(), CancellationToken.None);
                }
            }

            failures++;
            if (credentials.Endpoints.Count > 1)
            {
                _endpoint++; // the next broker in the bundle's list
            }

            var delay = Backoff(failures);
            LogReconnecting(logger, delay.TotalMilliseconds);
            _ = await Task.WhenAny(Task.Delay(delay, time, stoppingToken), wipe.Requested); // WhenAny does not throw
        }

        // Offline when the wipe came (the dead-man lease): the report stays in the marker on disk.
        wipe.ParkUplink();
    }

    /// <summary>
    /// Called with uploads stopped: says the order arrived (the host's "delivered"), lets the
    /// eraser close the store, and sends the signed report once it exists.
    /// </summary>
    private async Task ReportWipeAsync(IMqttClient client, CancellationToken stoppingToken)
    {
        var request = await wipe.Requested;
        try
        {
            var wiping = new ApplianceStatus(identity.DeviceId, ApplianceState.Wiping, identity.FirmwareVersion, 0, time.GetUtcNow(), OrderId: request.OrderId);
            _ = await UplinkPublishing.PublishAsync(client, ApplianceTopics.Status(credentials.DeviceId), ProtocolJson.Serialize(wiping), stoppingToken);
        }
        finally
        {
            wipe.ParkUplink();
        }

        // Bounded: an eraser that failed must not keep the link open for ever.
        var report = await wipe.Report.WaitAsync(TimeSpan.FromSeconds(30), time, stoppingToken);
        if (await UplinkPublishing.PublishAsync(client, ApplianceTopics.Wiped(credentials.DeviceId), ProtocolJson.Serialize(report), stoppingToken))
        {
            wipe.MarkReportSent();
        }

        LogWipeReported(logger, request.OrderId);
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
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Wipe(credentials.DeviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(ApplianceTopics.Lease(credentials.DeviceId)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
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
            var uploads = UploadPendingAsync(client, linked.Token);
            if (await Task.WhenAny(uploads, wipe.Requested) != uploads)
            {
                // A wipe was ordered: stop reading the store now; what was mid-upload is lost with it.
                await linked.CancelAsync();
                await uploads.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }

            await uploads;
        }
        finally
        {
            await linked.CancelAsync();
            await statusPump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (statusPump.IsFaulted && !wipe.Requested.IsCompleted)
        {
            await statusPump; // surfaces the link failure to the reconnect loop
        }
    }

    /// <summary>
    /// The host keeps every profile a series may name. Each profile is sent once per run of the
    /// firmware (the host ignores one it has), not at every reconnection: it is about 10 KB.
    /// </summary>
    private async Task SendProfileIfNewAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        if (calibration.Current is { } profile && profile.ProfileId != _profileSent
            && await UplinkPublishing.PublishAsync(client, ApplianceTopics.Calibration(credentials.DeviceId), ProtocolJson.Serialize(profile), cancellationToken))
        {
            _profileSent = profile.ProfileId;
        }
    }

    private async Task PumpStatusAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        while (await statusFeed.Reader.WaitToReadAsync(cancellationToken))
        {
            while (statusFeed.Reader.TryPeek(out var status))
            {
                // A run that just calibrated says so in its status: the host should hold the profile first.
                await SendProfileIfNewAsync(client, cancellationToken);
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

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Wipe report for order {OrderId} sent to the host; disconnecting for good")]
    private static partial void LogWipeReported(ILogger logger, string? orderId);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Broker certificate rejected: {Reason}")]
    private static partial void LogServerRejected(ILogger logger, string reason);
}

/// <summary>The broker said no (connection, subscription or publish); retried after backoff.</summary>
public sealed class UplinkRefusedException(string message) : Exception(message);
