using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.Firmware.Uplink;

/// <summary>
/// The network half of the install self-test: the appliance's certificate is in date and from
/// the bundle's CA, and each broker in the bundle answers a mutual-TLS handshake whose server
/// certificate chains to that CA and names the broker. It stops at TLS and sends no MQTT, so it
/// never takes over the session of a firmware that is running.
/// </summary>
public sealed class BrokerSelfTest(UplinkCredentials credentials, TimeProvider time)
{
    /// <summary>How long a broker may take to connect and finish the handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// In TLS 1.3 the broker judges the client's certificate after the client has finished its
    /// half of the handshake, so a refusal arrives as an alert just after. A broker that is
    /// still waiting for CONNECT this long after the handshake has accepted the certificate.
    /// </summary>
    public TimeSpan RefusalWindow { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<IReadOnlyList<SelfTestResult>> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var client = credentials.ClientCertificate;
        var certificate = !MutualTls.ChainsTo(client, credentials.CaCertificate, MutualTls.ClientAuthOid, now, out var reason)
            ? SelfTestResult.Fail("certificate", $"the appliance's certificate is not good for the bundle's CA: {reason}. Reprovision it on the host.")
            : SelfTestResult.Pass("certificate", $"{MutualTls.CommonName(client)}, from the bundle's CA, valid until {client.NotAfter.ToUniversalTime():yyyy-MM-dd} ({(client.NotAfter.ToUniversalTime() - now.UtcDateTime).TotalDays:0} days)");
        var rows = new List<SelfTestResult> { certificate };
        foreach (var endpoint in credentials.Endpoints)
        {
            rows.Add(await HandshakeAsync(endpoint, cancellationToken));
        }

        return rows;
    }

    private async Task<SelfTestResult> HandshakeAsync(BrokerEndpoint endpoint, CancellationToken cancellationToken)
    {
        var check = $"broker {endpoint.Host}:{endpoint.Port}";
        using var deadline = new CancellationTokenSource(HandshakeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, linked.Token);
        }
        catch (SocketException ex)
        {
            return SelfTestResult.Fail(check, $"cannot connect: {ex.Message} (is the host running, and does the firewall let the appliance out to it?)");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return SelfTestResult.Fail(check, $"no answer within {HandshakeTimeout.TotalSeconds:0} s (a firewall dropping the connection?)");
        }

        string? serverProblem = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = endpoint.Host,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificates = [credentials.ClientCertificate],
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                        BrokerCertificate.IsTrusted(certificate, errors, credentials.CaCertificate, time.GetUtcNow(), out serverProblem),
                },
                linked.Token);
        }
        catch (AuthenticationException ex)
        {
            return SelfTestResult.Fail(check, serverProblem is not null
                ? $"the broker's certificate is not to be trusted: {serverProblem}"
                : $"the TLS handshake failed: {ex.Message} (the broker refused this appliance's certificate?)");
        }
        catch (IOException ex)
        {
            return SelfTestResult.Fail(check, $"the broker closed the connection during the TLS handshake: {ex.Message}");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return SelfTestResult.Fail(check, $"no TLS handshake within {HandshakeTimeout.TotalSeconds:0} s (is it an MQTT over TLS port?)");
        }

        var refusal = await RefusalAsync(tls, cancellationToken);
        return refusal is null
            ? SelfTestResult.Pass(check, $"{Describe(tls.SslProtocol)} both ways; the broker's certificate chains to the bundle's CA and names {endpoint.Host}")
            : SelfTestResult.Fail(check, $"the broker refused this appliance's certificate after the handshake ({refusal}): revoked, or from another CA? Reprovision it on the host.");
    }

    /// <summary>Null if the broker kept the connection open through the window, else how it ended it.</summary>
    private async Task<string?> RefusalAsync(SslStream tls, CancellationToken cancellationToken)
    {
        using var window = new CancellationTokenSource(RefusalWindow, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, cancellationToken);
        try
        {
            // The broker says nothing before CONNECT; anything here is its refusal.
            var read = await tls.ReadAsync(new byte[1], linked.Token);
            return read == 0 ? "the connection was closed" : "it sent data before CONNECT";
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return ex.Message;
        }
    }

    private static string Describe(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLS 1.3",
        SslProtocols.Tls12 => "TLS 1.2",
        _ => protocol.ToString(),
    };
}

/// <summary>The rule every connection to a broker applies to the broker's certificate.</summary>
public static class BrokerCertificate
{
    /// <summary>
    /// True when the certificate names the broker dialled and chains to the bundle's CA for server
    /// use. The OS's chain errors are expected (our CA is not in its store) and checked here instead.
    /// </summary>
    public static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca, DateTimeOffset now, out string? reason)
    {
        if (certificate is null)
        {
            reason = "the broker sent no certificate";
            return false;
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reason = "name does not match the broker address";
            return false;
        }

        using var server = new X509Certificate2(certificate);
        if (!MutualTls.ChainsTo(server, ca, MutualTls.ServerAuthOid, now, out var chain))
        {
            reason = chain;
            return false;
        }

        reason = null;
        return true;
    }
}
