using System.Diagnostics;
using System.Security.Cryptography;
using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.Firmware.Uplink;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;

namespace Appliance.Benchmarks;

/// <summary>
/// <c>upload</c>: a 50 MB sealed series (two frames, signed and sealed as the appliance seals
/// them, for a capture job the host issued) read from the appliance's own on-disk store and sent
/// through our transfer (connect, offer with chunk digests, chunks in flight, end) by the
/// firmware's own <see cref="SeriesUploader"/>, until the host's answer that it is
/// <em>filed</em> (checked, unsealed, archived): against <c>mosquitto_pub -f</c> of the same
/// number of bytes as one QoS 1 message to the same embedded broker over the same mutual TLS,
/// alternating, median of 9 each. The ratio is mosquitto_pub's time over ours.
/// </summary>
internal static class UploadBenchmark
{
    private const int FullPayloadBytes = 50 * 1000 * 1000;
    private static readonly string[] MosquittoPubPaths = ["/usr/bin/mosquitto_pub", "/usr/local/bin/mosquitto_pub"];

    /// <param name="payloadBytes">50 MB for the figures; a few MB for the quick run.</param>
    public static async Task RunAsync(int runs, int payloadBytes = FullPayloadBytes)
    {
        var mosquittoPub = MosquittoPubPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("mosquitto_pub is missing: apt-get install mosquitto-clients (tests/run.sh does).");
        using var work = new TempFolder("upload-bench");
        var host = await EmbeddedSuite.StartHostAsync(work.Path, LogLevel.Error, hostSettings: new Dictionary<string, string?>
        {
            // The reference is one 50 MB message; our chunks need far less.
            ["Broker:MaxPacketSize"] = (64 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Broker:MaxConnectionsPerMinute"] = "100000",
        });
        try
        {
            var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
            var bundle = host.Services.GetRequiredService<DeviceProvisioner>().Provision("upload-bench-01", "127.0.0.1", port);
            var pem = WritePem(work.Path, bundle);
            // Two square frames of random pixels make a series of the payload's size.
            var side = (int)Math.Sqrt(payloadBytes / 6.0);
            var payloadFile = Path.Combine(work.Path, "payload.bin");
            await File.WriteAllBytesAsync(payloadFile, RandomNumberGenerator.GetBytes(side * side * 6));
            using var store = new LiteDbSeriesStore(Path.Combine(work.Path, "appliance", "series.db"), bundle.StoreSecret, new StoreOptions { MinFreeBytes = 0 });
            var jobs = host.Services.GetRequiredService<Appliance.Host.Core.Jobs.CaptureJobService>();
            var sealingKey = host.Services.GetRequiredService<Appliance.Host.Core.IHostSealingKey>().PublicKey;

            var ours = new List<double>();
            var reference = new List<double>();
            var tails = new List<double>();
            // When the host stored a transfer's last chunk: the time from there to "filed" is what
            // filing adds after the bytes are in (the part mosquitto_pub's reference never pays).
            long lastChunkAt = 0;
            host.Services.GetRequiredService<Appliance.Host.Core.Transfers.TransferReceiver>().ChunkStored += (_, advanced) =>
            {
                if (advanced.Have == advanced.Chunks)
                {
                    Interlocked.Exchange(ref lastChunkAt, Stopwatch.GetTimestamp());
                }
            };
            for (var i = 0; i <= runs; i++)
            {
                // As a capture leaves it: a job from the host, the series sealed and signed, in the store on disk.
                var job = await jobs.CreateAsync(Appliance.Host.Core.Jobs.CaptureJobRequest.WithVerbalConsent(bundle.DeviceId, $"UPLOAD-BENCH-{i}", "back", ConsentScope.DirectCare), "bench", CancellationToken.None);
                var series = SealedSeriesFactory.Create(bundle.DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: sealingKey, signingPrivateKey: Convert.FromBase64String(bundle.SigningPrivateKey), side: side, bodySite: "back");
                await store.AddAsync(series.Stored(), series.ForStore(), CancellationToken.None);
                var (o, filedAt) = await UploadThroughOurProtocolAsync(bundle, store, series.Manifest.SeriesId);
                var tail = Stopwatch.GetElapsedTime(Interlocked.Read(ref lastChunkAt), filedAt).TotalMilliseconds;
                // The broker hands the reference's bytes on to the host after acknowledging them; let that finish
                // (the host refuses them as a status) so it does not run into the next measurement.
                var inbound = host.Services.GetRequiredService<Appliance.Host.Core.HostInboundHandler>();
                var delivered = EmbeddedSuite.WaitFor<string>(h => inbound.MessageRejected += h, h => inbound.MessageRejected -= h, _ => true);
                var r = await MosquittoPubAsync(mosquittoPub, port, bundle.DeviceId, pem, payloadFile);
                await delivered.WaitAsync(TimeSpan.FromSeconds(60));
                if (i > 0)
                {
                    // The first of each warms the JIT, the page cache and the broker.
                    ours.Add(o);
                    reference.Add(r);
                    tails.Add(tail);
                }
            }

            var oursMedian = DemoCycleBenchmark.Median(ours);
            var referenceMedian = DemoCycleBenchmark.Median(reference);
            DemoCycleBenchmark.Bench("upload_ms", oursMedian, "ms");
            DemoCycleBenchmark.Bench("reference_mosquitto_pub_ms", referenceMedian, "ms");
            DemoCycleBenchmark.Bench("upload_mb_per_s", new FileInfo(payloadFile).Length / 1e6 / (oursMedian / 1000), "MB/s");
            DemoCycleBenchmark.Bench("upload_vs_mosquitto_ratio", referenceMedian / oursMedian, "x");
            DemoCycleBenchmark.Bench("upload_after_last_chunk_ms", DemoCycleBenchmark.Median(tails), "ms");
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    /// <returns>The time to "filed", and the moment it came (a <see cref="Stopwatch"/> timestamp).</returns>
    private static async Task<(double Elapsed, long FiledAt)> UploadThroughOurProtocolAsync(ProvisioningBundle bundle, LiteDbSeriesStore store, string seriesId)
    {
        var credentials = UplinkCredentials.FromBundle(bundle);
        var board = new TransferProgressBoard();
        var identity = new ApplianceIdentity(bundle.DeviceId, ApplianceIdentity.CurrentFirmwareVersion, Convert.FromBase64String(bundle.HostSealingPublicKey), Convert.FromBase64String(bundle.SigningPrivateKey));
        var uploader = new SeriesUploader(identity, store, board, TimeProvider.System, Options.Create(new UplinkOptions()), NullLogger<SeriesUploader>.Instance);

        var clock = Stopwatch.StartNew();
        var client = new MqttClientFactory().CreateMqttClient();
        await using var channel = new MqttHostChannel(client);
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (ProtocolJson.TryDeserialize<TransferProgress>(System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload), out var progress, out _))
            {
                board.Post(progress);
            }

            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", bundle.BrokerPort)
            .WithClientId(bundle.DeviceId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTlsOptions(t => t.UseTls().WithTargetHost("localhost").WithClientCertificates([credentials.ClientCertificate]).WithCertificateValidationHandler(_ => true))
            .Build());
        await client.SubscribeAsync(ApplianceTopics.Progress(bundle.DeviceId), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        // The host's answer that it is filed ends the run: anything else is a broken benchmark, not a figure.
        var outcome = await uploader.UploadAsync(channel, seriesId, CancellationToken.None);
        var filedAt = Stopwatch.GetTimestamp();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (outcome != UploadOutcome.Filed)
        {
            throw new InvalidOperationException($"the upload ended {outcome}, not filed");
        }

        await store.DeleteAsync(seriesId, CancellationToken.None); // as the host's receipt would have it

        await client.DisconnectAsync();
        return (elapsed, filedAt);
    }

    private static async Task<double> MosquittoPubAsync(string executable, int port, string deviceId, (string Ca, string Cert, string Key) pem, string payloadFile)
    {
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(executable,
        [
            "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv5",
            "--cafile", pem.Ca, "--cert", pem.Cert, "--key", pem.Key, "-i", deviceId,
            // Its own status topic: allowed by the broker's access control; the host refuses the content cheaply.
            "-t", ApplianceTopics.Status(deviceId), "-q", "1", "-f", payloadFile,
        ])
        {
            RedirectStandardError = true,
        })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"mosquitto_pub failed ({process.ExitCode}): {errors}");
        }

        return elapsed;
    }

    private static (string Ca, string Cert, string Key) WritePem(string folder, ProvisioningBundle bundle)
    {
        var ca = Path.Combine(folder, "ca.pem");
        var cert = Path.Combine(folder, "cert.pem");
        var key = Path.Combine(folder, "key.pem");
        File.WriteAllText(ca, bundle.CaCertificatePem);
        File.WriteAllText(cert, bundle.CertificatePem);
        File.WriteAllText(key, bundle.PrivateKeyPem);
        return (ca, cert, key);
    }
}
