using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Server;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>What the broker's listener allows a connection before it has authenticated.</summary>
public sealed record BrokerListenerLimits(
    IPAddress Address,
    int Port,
    int MaxPacketSize,
    TimeSpan TlsHandshakeTimeout,
    TimeSpan ConnectTimeout,
    int MaxUnauthenticated,
    int MaxUnauthenticatedPerAddress);

/// <summary>
/// The embedded broker's listener, in place of MQTTnet's own: it listens on the one configured
/// address (MQTTnet's listens on every IPv6 address as well), ends a TLS handshake that has not
/// finished in time (slowloris), holds at most so many connections that have not yet had a
/// successful CONNACK (in all and per client address), ends one that has not connected in time,
/// and reads every packet through <see cref="MqttPacketGuardStream"/>, so no connection can make
/// the host buffer more than the maximum packet size, which CONNACK announces. Every refusal is logged.
/// </summary>
public sealed partial class GuardedMqttServerAdapter(
    BrokerListenerLimits limits,
    X509Certificate2 serverCertificate,
    RemoteCertificateValidationCallback validateClient,
    ILogger logger) : IMqttServerAdapter
{
    private readonly ConcurrentDictionary<string, int> _pendingByAddress = new(StringComparer.Ordinal);
    private int _pending;
    private Socket? _listener;
    private CancellationTokenSource? _stopping;
    private MqttServerOptions _options = null!;
    private IMqttNetLogger _mqttLogger = MqttNetNullLogger.Instance;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    /// <summary>The port bound (differs from the limit's when that is 0).</summary>
    public int BoundPort { get; private set; }

    /// <summary>Connections accepted that have not yet had a successful CONNACK.</summary>
    public int Unauthenticated => Volatile.Read(ref _pending);

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _options = options;
        _mqttLogger = logger;
        _stopping = new CancellationTokenSource();
        _listener = new Socket(limits.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (limits.Address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // This address only, not the IPv4 addresses mapped into it as well.
            _listener.DualMode = false;
        }

        _listener.Bind(new IPEndPoint(limits.Address, limits.Port));
        _listener.Listen(128);
        BoundPort = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _ = AcceptAsync(_listener, _stopping.Token);
        return Task.CompletedTask;
    }

    public Task StopAsync()
    {
        _stopping?.Cancel();
        _listener?.Dispose();
        _listener = null;
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping?.Cancel();
        _listener?.Dispose();
        _stopping?.Dispose();
    }

    private async Task AcceptAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection reset before it was accepted; the listener itself is fine.
                LogAcceptFailed(logger, ex.SocketErrorCode);
                continue;
            }

            var remote = socket.RemoteEndPoint as IPEndPoint;
            var address = remote?.Address is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "unknown";
            if (!TryAdmit(address, out var why))
            {
                LogRefused(logger, address, why);
                socket.Dispose();
                continue;
            }

            _ = ServeSocketAsync(socket, address, stopping);
        }
    }

    private bool TryAdmit(string address, out string why)
    {
        if (Interlocked.Increment(ref _pending) > limits.MaxUnauthenticated)
        {
            Interlocked.Decrement(ref _pending);
            why = $"{limits.MaxUnauthenticated} connections are already waiting to authenticate";
            return false;
        }

        var fromHere = _pendingByAddress.AddOrUpdate(address, 1, (_, n) => n + 1);
        if (fromHere > limits.MaxUnauthenticatedPerAddress)
        {
            Release(address);
            why = $"{limits.MaxUnauthenticatedPerAddress} connections from this address are already waiting to authenticate";
            return false;
        }

        why = string.Empty;
        return true;
    }

    private void Release(string address)
    {
        Interlocked.Decrement(ref _pending);
        _pendingByAddress.AddOrUpdate(address, 0, (_, n) => Math.Max(0, n - 1));
        if (_pendingByAddress.TryGetValue(address, out var left) && left == 0)
        {
            _pendingByAddress.TryRemove(new KeyValuePair<string, int>(address, 0));
        }
    }

    /// <summary>
    /// A connection from inside this process (the host's own client): no socket and no TLS, whose
    /// identity is the certificate the caller holds, checked as a TLS client's is (chain, purpose,
    /// revocation). From there on it is served as any other: the connect deadline, the packet guard,
    /// the broker's checks of CONNECT, publishes and subscriptions.
    /// </summary>
    /// <returns>The client's end of the connection.</returns>
    public Stream ConnectInProcess(X509Certificate2 certificate)
    {
        if (_stopping is not { IsCancellationRequested: false } stopping)
        {
            throw new MqttCommunicationException("the embedded broker is not running");
        }

        if (!validateClient(this, certificate, null, SslPolicyErrors.None))
        {
            throw new AuthenticationException("the broker refused the in-process client's certificate");
        }

        if (!TryAdmit(InProcessAddress, out var why))
        {
            LogRefused(logger, InProcessAddress, why);
            throw new MqttCommunicationException($"the broker refused an in-process connection: {why}");
        }

        var (client, server) = InProcessConnection.CreatePair();
        _ = ServeAsync(server, InProcessEndPoint, InProcessEndPoint, InProcessAddress, (stream, _) => Task.FromResult<(Stream, X509Certificate2?)?>((stream, certificate)), stopping.Token);
        return client;
    }

    private const string InProcessAddress = "in-process";

    // What the broker's diagnostics show as both ends of such a connection.
    private static readonly EndPoint InProcessEndPoint = new DnsEndPoint(InProcessAddress, 0);

    private Task ServeSocketAsync(Socket socket, string address, CancellationToken stopping)
    {
        socket.NoDelay = true;
        return ServeAsync(new NetworkStream(socket, ownsSocket: true), socket.LocalEndPoint, socket.RemoteEndPoint, address, SecureAsync, stopping);

        async Task<(Stream, X509Certificate2?)?> SecureAsync(Stream transport, CancellationToken stopping)
        {
            var tls = new SslStream(transport, leaveInnerStreamOpen: false, validateClient);
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            handshake.CancelAfter(limits.TlsHandshakeTimeout);
            try
            {
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = serverCertificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        EncryptionPolicy = EncryptionPolicy.RequireEncryption,
                    },
                    handshake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                LogRefused(logger, address, $"TLS handshake not finished within {limits.TlsHandshakeTimeout.TotalSeconds:F0} s");
                await tls.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or ObjectDisposedException)
            {
                // An unknown or revoked certificate is logged by the broker's certificate check as well.
                LogRefused(logger, address, $"TLS handshake failed: {ex.Message}");
                await tls.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            var certificate = tls.RemoteCertificate is null ? null
                : tls.RemoteCertificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(tls.RemoteCertificate.Export(X509ContentType.Cert));
            return (tls, certificate);
        }
    }

    /// <param name="secure">
    /// Makes the transport an authenticated stream and says who is at the other end (the TLS
    /// handshake, or nothing for a connection inside the process); null when it refused, having said why.
    /// </param>
    private async Task ServeAsync(
        Stream transport,
        EndPoint? local,
        EndPoint? remote,
        string address,
        Func<Stream, CancellationToken, Task<(Stream Stream, X509Certificate2? Certificate)?>> secure,
        CancellationToken stopping)
    {
        var released = 0;
        void ReleaseOnce()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                Release(address);
            }
        }

        Stream? secured = null;
        // Nothing gets longer than this to authenticate: the handshake, then CONNECT and its CONNACK.
        using var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        connectDeadline.CancelAfter(limits.ConnectTimeout);
        var authenticated = false;
        using var onDeadline = connectDeadline.Token.Register(() =>
        {
            if (!Volatile.Read(ref authenticated))
            {
                transport.Dispose();
            }
        });
        try
        {
            if (await secure(transport, stopping).ConfigureAwait(false) is not { } accepted)
            {
                return;
            }

            secured = accepted.Stream;
            var guard = new MqttPacketGuardStream(secured, limits.MaxPacketSize);
            var channel = new MqttTcpChannel(guard, local, remote, accepted.Certificate);
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(_options.WriterBufferSize, _options.WriterBufferSizeMax));
            using var inner = new MqttChannelAdapter(channel, formatter, _mqttLogger) { AllowPacketFragmentation = true };
            var adapter = new GuardedChannelAdapter(inner, (uint)limits.MaxPacketSize, logger, address, () =>
            {
                Volatile.Write(ref authenticated, true);
                ReleaseOnce();
            });
            if (ClientHandler is { } handler)
            {
                await handler(adapter).ConfigureAwait(false);
            }

            if (adapter.RefusedFor is { } refusal)
            {
                LogRefused(logger, address, refusal);
            }
            else if (connectDeadline.IsCancellationRequested && !Volatile.Read(ref authenticated) && !stopping.IsCancellationRequested)
            {
                LogRefused(logger, address, $"no successful CONNECT within {limits.ConnectTimeout.TotalSeconds:F0} s");
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
            // The client went away, or was sent away above; nothing is held for it.
        }
        catch (Exception ex)
        {
            // One connection's fault must not go unseen, nor take the listener down.
            LogConnectionFailed(logger, address, ex);
        }
        finally
        {
            ReleaseOnce();
            if (secured is not null)
            {
                await secured.DisposeAsync().ConfigureAwait(false);
            }

            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Broker refused a connection from {Address}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Error, Message = "Broker connection from {Address} failed")]
    private static partial void LogConnectionFailed(ILogger logger, string address, Exception exception);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "Broker could not accept a connection: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);
}
