using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;

namespace Appliance.EndToEndTests;

/// <summary>Raw MQTT 5 clients over TLS to a broker on loopback, as a test's stand-in device.</summary>
public static class MqttTestClient
{
    /// <summary>Connects; null when the broker (or TLS) refused.</summary>
    public static async Task<IMqttClient?> TryConnectAsync(int port, string clientId, X509Certificate2? certificate)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost("localhost").WithCertificateValidationHandler(_ => true);
                if (certificate is not null)
                {
                    tls.WithClientCertificates([certificate]);
                }
            })
            .Build();
        try
        {
            var result = await client.ConnectAsync(options);
            if (result.ResultCode == MqttClientConnectResultCode.Success)
            {
                return client;
            }
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused during the TLS handshake.
        }

        client.Dispose();
        return null;
    }

    public static async Task<IMqttClient> ConnectAsync(int port, string clientId, X509Certificate2 certificate) =>
        await TryConnectAsync(port, clientId, certificate) ?? throw new InvalidOperationException($"the broker on port {port} refused {clientId}");
}
