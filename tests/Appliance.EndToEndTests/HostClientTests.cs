using Appliance.Demo;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.EndToEndTests;

/// <summary>The host's own MQTT client trusts a broker for its name as well as its issuer.</summary>
public sealed class HostClientTests
{
    [Fact]
    public async Task AHostStoppedOrDisposedWhileConnected_LogsNoError()
    {
        // Disposing without stopping once left the client's loop disconnecting a disposed client:
        // "BackgroundService failed" in the log of every test that did so.
        using var folder = new TempFolder("host-client-stop");
        var logs = new CapturedLogs();
        for (var i = 0; i < 3; i++)
        {
            var disposedOnly = await EmbeddedSuite.StartHostAsync(folder.Path, LogLevel.Information, l => l.AddProvider(logs));
            await disposedOnly.DisposeAsync();
            var stopped = await EmbeddedSuite.StartHostAsync(folder.Path, LogLevel.Information, l => l.AddProvider(logs));
            await stopped.StopAsync();
            await stopped.DisposeAsync();
        }

        Assert.Equal(6, logs.Entries.Count(e => e.EventId.Id == 4101));
        Assert.Empty(logs.AtLeast(LogLevel.Error));
    }

    [Fact]
    public async Task ABrokerWhoseCertificateIsNotForTheNameDialled_IsRefused_EvenFromTheHostCa()
    {
        using var folder = new TempFolder("host-client-name");
        // A broker of this host's CA listening on 127.0.0.2, with a certificate for localhost and 127.0.0.1 only.
        await using var first = await EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?> { ["Broker:ListenAddress"] = "127.0.0.2" });
        var port = first.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;

        // Another instance dials that address by a name the certificate does not carry.
        var logs = new CapturedLogs();
        await using var second = await EmbeddedSuite.StartHostAsync(folder.Path, LogLevel.Information, l => l.AddProvider(logs), new Dictionary<string, string?>
        {
            ["Broker:Mode"] = nameof(BrokerMode.External),
            ["Broker:ExternalHost"] = "127.0.0.2",
            ["Broker:ExternalPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Transfers:InstanceId"] = "host-b",
        });

        await Poll.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 4102), "the host client refuses the broker");
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 4101);
        // Refusing the broker, the second host never gets going: that it says so is the point.
        logs.ExpectError("Host client not connected");
        logs.ThrowIfUnexpectedErrors();
    }
}
