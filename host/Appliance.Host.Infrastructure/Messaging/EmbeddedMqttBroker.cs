using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Channel;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>
/// The host's own MQTT broker (the embedded default): TLS 1.2+ only, a client certificate from
/// the host CA required and not revoked, the certificate CN must equal the client id, and per-device access
/// control (a device publishes only its own offers, chunks and status, and subscribes only to its
/// own commands, progress and receipts). Before any of that, its listener
/// (<see cref="GuardedMqttServerAdapter"/>) bounds what an unauthenticated connection can cost:
/// one address, a handshake and connect deadline, a cap on such connections, and a packet size
/// limit enforced while reading. The host's own client is the only one that reads everything.
/// </summary>
public sealed partial class EmbeddedMqttBroker(
    FileCertificateAuthority ca,
    IDeviceCertificates certificates,
    Core.Audit.IAuditTrail audit,
    IOptions<BrokerOptions> options,
    TimeProvider time,
    ILogger<EmbeddedMqttBroker> logger) : IHostedService, IAsyncDisposable
{
    private MqttServer? _server;
    private GuardedMqttServerAdapter? _listener;
    private readonly ConnectionRate _connectionRate = new(TimeSpan.FromMinutes(1));

    /// <summary>The port actually listened on (differs from the option when that is 0).</summary>
    public int BoundPort { get; private set; }

    public IPAddress ListenAddress => IPAddress.Parse(options.Value.ListenAddress);

    /// <summary>Connections accepted that have not yet authenticated (TLS and CONNECT).</summary>
    public int Unauthenticated => _listener?.Unauthenticated ?? 0;

    /// <summary>Raised with the client id and reason whenever a connection, publish or subscription is refused.</summary>
    public event EventHandler<(string ClientId, string Reason)>? Refused;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var listener = _listener = new GuardedMqttServerAdapter(
            new BrokerListenerLimits(
                ListenAddress,
                // A restart keeps the port it had: appliances' bundles name it.
                BoundPort != 0 ? BoundPort : o.Port,
                o.MaxPacketSize,
                o.TlsHandshakeTimeout,
                o.ConnectTimeout,
                o.MaxUnauthenticatedConnections,
                o.MaxUnauthenticatedConnectionsPerAddress),
            ca.ServerCertificate,
            ValidateClientCertificate,
            logger);
        // No endpoint of MQTTnet's own: the guarded listener is the only way in.
        var serverOptions = new MqttServerOptionsBuilder()
            .WithoutDefaultEndpoint()
            .WithPersistentSessions()
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions, [listener]);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        await _server.StartAsync();
        BoundPort = listener.BoundPort;
        LogStarted(logger, o.ListenAddress, BoundPort);
    }

    /// <summary>Stops listening and drops every connection and session (they live in memory); <see cref="StartAsync"/> starts afresh on the same port.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            _server.Dispose();
            _server = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            _server.Dispose();
            _server = null;
        }
    }

    /// <summary>
    /// How the host's own client reaches this broker: inside the process, with no socket and no TLS
    /// (both ends are this process, which holds the CA), as the holder of <paramref name="certificate"/>,
    /// which must pass the same checks as any client's; the access control is the same as over TLS.
    /// </summary>
    public IMqttClientStreamProvider InProcessDialler(X509Certificate2 certificate) => new Dialler(this, certificate);

    private sealed class Dialler(EmbeddedMqttBroker broker, X509Certificate2 certificate) : IMqttClientStreamProvider
    {
        public Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken) =>
            Task.FromResult((broker._listener ?? throw new MqttCommunicationException("the embedded broker has not started")).ConnectInProcess(certificate));
    }

    /// <summary>Client ids currently connected.</summary>
    public async Task<IReadOnlyList<string>> ConnectedClientsAsync()
    {
        if (_server is null)
        {
            return [];
        }

        var clients = await _server.GetClientsAsync();
        return [.. clients.Select(c => c.Id)];
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            Refuse("(unknown)", "no client certificate presented");
            return false;
        }

        using var client = new X509Certificate2(certificate);
        if (!MutualTls.ChainsTo(client, ca.Ca, MutualTls.ClientAuthOid, time.GetUtcNow(), out var reason))
        {
            Refuse(MutualTls.CommonName(client), $"certificate refused: {reason}");
            return false;
        }

        if (certificates.IsRevoked(client.Thumbprint))
        {
            Refuse(MutualTls.CommonName(client), "certificate revoked");
            return false;
        }

        return true;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var certificate = e.ClientCertificate;
        if (certificate is null)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            Refuse(e.ClientId, "no client certificate on the connection");
            return Task.CompletedTask;
        }

        // Checked again here, not only in the handshake: a certificate revoked between the two
        // (a wipe confirmed, an admin's revoke) must not get a session.
        if (certificates.IsRevoked(certificate.Thumbprint))
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            Refuse(e.ClientId, "certificate revoked");
            return Task.CompletedTask;
        }

        var commonName = MutualTls.CommonName(certificate);
        if (commonName != e.ClientId && !(commonName == FileCertificateAuthority.HostClientId && IsHostClient(e.ClientId)))
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            Refuse(e.ClientId, $"client id does not match certificate CN '{commonName}'");
            return Task.CompletedTask;
        }

        if (!IsHostClient(e.ClientId) && !DeviceId.IsValid(e.ClientId))
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            Refuse(e.ClientId, "not a valid device id");
            return Task.CompletedTask;
        }

        if (!_connectionRate.TryAdmit(e.ClientId, time.GetUtcNow(), options.Value.MaxConnectionsPerMinute))
        {
            e.ReasonCode = MqttConnectReasonCode.ConnectionRateExceeded;
            Refuse(e.ClientId, $"more than {options.Value.MaxConnectionsPerMinute} connections in a minute");
            return Task.CompletedTask;
        }

        LogConnected(logger, e.ClientId);
        if (!IsHostClient(e.ClientId))
        {
            // The newest certificate in use: a rotation or re-provisioning is done, the old ones go.
            var superseded = certificates.SupersedeOlder(e.ClientId, certificate.Thumbprint);
            if (superseded > 0)
            {
                LogSuperseded(logger, e.ClientId, superseded);
                audit.Append(Core.Audit.AuditKinds.DeviceRevoked, "broker", e.ClientId, $"{superseded} certificates superseded by {certificate.Thumbprint}");
            }
        }

        return Task.CompletedTask;
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // The listener has refused anything announced over the limit before reading it; this is the
        // same rule again on what MQTTnet decoded, in case the two ever count differently.
        var size = e.ApplicationMessage.Payload.Length + e.ApplicationMessage.Topic.Length;
        if (size > options.Value.MaxPacketSize)
        {
            e.ProcessPublish = false;
            e.CloseConnection = true;
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            Refuse(e.ClientId, $"packet of {size} bytes is over the {options.Value.MaxPacketSize}-byte limit");
            return Task.CompletedTask;
        }

        if (IsHostClient(e.ClientId))
        {
            return Task.CompletedTask;
        }

        var topic = e.ApplicationMessage.Topic;
        if (ApplianceTopics.OtherVersionRefusal(topic) is { } otherVersion)
        {
            // Said to the device too (MQTT 5's reason string), not only in the host's log.
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.TopicNameInvalid;
            e.Response.ReasonString = otherVersion;
            Refuse(e.ClientId, otherVersion);
        }
        else if (!ApplianceTopics.TryParse(topic, out var deviceId, out var kind, out _) || deviceId != e.ClientId || !ApplianceTopics.IsDevicePublishable(kind))
        {
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            Refuse(e.ClientId, $"may not publish to {topic}");
        }
        else if (e.ApplicationMessage.Retain)
        {
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            Refuse(e.ClientId, "devices may not publish retained messages");
        }

        return Task.CompletedTask;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (IsHostClient(e.ClientId))
        {
            return Task.CompletedTask;
        }

        var filter = e.TopicFilter.Topic;
        if (ApplianceTopics.OtherVersionRefusal(filter) is { } otherVersion)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.TopicFilterInvalid;
            Refuse(e.ClientId, otherVersion);
        }
        // An exact topic only: a wildcard could reach other devices' topics.
        else if (!ApplianceTopics.TryParse(filter, out var deviceId, out var kind) || deviceId != e.ClientId || !ApplianceTopics.IsDeviceSubscribable(kind))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            Refuse(e.ClientId, $"may not subscribe to {filter}");
        }

        return Task.CompletedTask;
    }

    /// <summary>The host's own client, under the host certificate's CN, with an instance suffix or without.</summary>
    private static bool IsHostClient(string clientId) =>
        clientId == FileCertificateAuthority.HostClientId || clientId.StartsWith(FileCertificateAuthority.HostClientId + ".", StringComparison.Ordinal);

    private void Refuse(string clientId, string reason)
    {
        LogRefused(logger, clientId, reason);
        Refused?.Invoke(this, (clientId, reason));
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "MQTT broker listening on {Address}:{Port} (TLS, client certificates required)")]
    private static partial void LogStarted(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Broker refused {ClientId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string clientId, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "{ClientId} connected with its newest certificate: {Count} older ones revoked")]
    private static partial void LogSuperseded(ILogger logger, string clientId, int count);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Client {ClientId} connected")]
    private static partial void LogConnected(ILogger logger, string clientId);
}
