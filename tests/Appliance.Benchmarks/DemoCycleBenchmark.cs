using System.Diagnostics;
using System.Security.Cryptography;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>demo-cycle</c>: the demo's button-to-filed time over repeated captures on one embedded
/// suite, against a reference measured in the same run: a QoS 1 publish of the same number of
/// bytes over the same mutual-TLS broker (the transport floor under a cycle).
/// </summary>
internal static class DemoCycleBenchmark
{
    public static async Task RunAsync(int cycles)
    {
        var root = Path.Combine(Path.GetTempPath(), $"appliance-bench-{Guid.NewGuid():N}");
        try
        {
            await using var suite = await EmbeddedSuite.StartAsync(root, logLevel: LogLevel.Error);
            var toFiled = new List<double>();
            var toDeleted = new List<double>();
            var envelopeBytes = 0;
            for (var i = 0; i <= cycles; i++)
            {
                await suite.CreateJobAndWaitArmedAsync($"BENCH-PATIENT-{i}", "back", ConsentScope.DirectCare, CancellationToken.None);
                var cycle = await suite.PressAndWaitFiledAsync(CancellationToken.None);
                if (i == 0)
                {
                    continue; // warm-up: JIT and first TLS session
                }

                toFiled.Add(cycle.ButtonToFiled.TotalMilliseconds);
                toDeleted.Add(cycle.ButtonToDeleted.TotalMilliseconds);
                envelopeBytes = cycle.Filed.Frames.Sum(f => (f.Width * f.Height * 3) + SeriesSealing.Overhead) + 2048;
            }

            var publish = await MeasurePublishAsync(suite, envelopeBytes, cycles);
            var cycleMedian = Median(toFiled);
            var publishMedian = Median(publish);
            Bench("demo_cycle_ms", cycleMedian, "ms");
            Bench("demo_cycle_to_deleted_ms", Median(toDeleted), "ms");
            Bench("reference_qos1_publish_ms", publishMedian, "ms");
            Bench("demo_cycle_vs_publish_ratio", cycleMedian / publishMedian, "x");
            Bench("demo_cycle_count", toFiled.Count, "cycles");
        }
        finally
        {
            try
            {
                Directory.Delete(root, true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<List<double>> MeasurePublishAsync(EmbeddedSuite suite, int bytes, int count)
    {
        var port = suite.HostService<EmbeddedMqttBroker>().BoundPort;
        var bundle = suite.HostService<DeviceProvisioner>().Provision("bench-reference-01", "127.0.0.1", port);
        using var certificate = MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem);
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(bundle.DeviceId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTlsOptions(t => t.UseTls().WithTargetHost("localhost").WithClientCertificates([certificate]).WithCertificateValidationHandler(_ => true))
            .Build());
        var payload = RandomNumberGenerator.GetBytes(bytes);
        var times = new List<double>();
        for (var i = 0; i <= count; i++)
        {
            var clock = Stopwatch.StartNew();
            // Its own status topic: allowed by the ACL; the host refuses the content cheaply, which is not what is timed.
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(ApplianceTopics.Status(bundle.DeviceId))
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());
            if (i > 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return times;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    internal static void Bench(string figure, double value, string unit) =>
        Console.WriteLine($"BENCH {figure} {value:0.###} {unit}");
}
