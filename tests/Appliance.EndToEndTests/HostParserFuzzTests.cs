using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Transfers;
using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.EndToEndTests;

/// <summary>
/// Random and mutated bytes through every parser the host exposes to devices (offers, transfer
/// frames, whole mutated uploads, status, forged wipe reports, and topics it does not read): no exception, nothing filed, a rejection with a
/// reason for every message.
/// </summary>
public sealed class HostParserFuzzTests(SuiteFixture fixture) : IClassFixture<SuiteFixture>
{
    private EmbeddedSuite Suite => fixture.Suite;

    [Fact]
    public async Task RandomAndMutatedMessages_NeverCrash_NeverFile_AlwaysGetARejection()
    {
        var inbound = Suite.HostService<HostInboundHandler>();
        var filing = Suite.HostService<SeriesFilingService>();
        var receiver = Suite.HostService<TransferReceiver>();
        var rejections = 0;
        var filed = 0;
        EventHandler<string> onRejected = (_, _) => Interlocked.Increment(ref rejections);
        EventHandler<FilingRejection> onFilingRejected = (_, _) => Interlocked.Increment(ref rejections);
        EventHandler<FiledSeries> onFiled = (_, _) => Interlocked.Increment(ref filed);
        inbound.MessageRejected += onRejected;
        receiver.Rejected += onRejected;
        filing.Rejected += onFilingRejected;
        filing.Filed += onFiled;
        try
        {
            var rng = new Random(20261124);
            var device = Suite.DeviceId;
            var valid = SealedSeriesFactory.Create(device, hostPublicKey: Suite.HostService<IHostSealingKey>().PublicKey).Envelope();
            var transfer = ApplianceTopics.Transfer(device, receiver.InstanceId);
            const int cases = 300;
            for (var i = 0; i < cases; i++)
            {
                if (i % 10 == 9)
                {
                    // A real upload with bytes changed or cut, sent whole through the transfer protocol: refused at filing.
                    var script = TransferScript.For(device, Mutate(valid, rng), TransferOffer.MinChunkSize);
                    await inbound.HandleAsync(ApplianceTopics.Upload(device), script.OfferMessage(), CancellationToken.None);
                    for (var c = 0; c < script.ChunkCount; c++)
                    {
                        await inbound.HandleAsync(transfer, script.Chunk(c), CancellationToken.None);
                    }

                    await inbound.HandleAsync(transfer, script.End(), CancellationToken.None);
                    continue;
                }

                var (topic, payload) = (i % 10) switch
                {
                    0 => (ApplianceTopics.Upload(device), Random(rng, 4096)),
                    1 => (ApplianceTopics.Upload(device), OfferLike(device, rng)),
                    2 => (transfer, Random(rng, 4096)),
                    3 => (transfer, [.. "ATF1"u8, .. Random(rng, 64)]),
                    4 => (transfer, TransferFrame.Encode((TransferFrameKind)rng.Next(1, 3), Guid.NewGuid(), rng.Next(), Random(rng, 512))),
                    5 => (ApplianceTopics.Status(device), Random(rng, 256)),
                    6 => (ApplianceTopics.Status(device), StatusLike(device, rng)),
                    7 => ($"appliance/v2/{device}/transfer/{device}", Random(rng, 64)),
                    _ when rng.Next(2) == 0 => ($"appliance/v2/{device}/{(rng.Next(3) switch { 0 => "command", 1 => "progress", _ => "receipt" })}", Random(rng, 64)),
                    _ => (ApplianceTopics.Wiped(device), WipeReportLike(device, rng)),
                };

                await inbound.HandleAsync(topic, payload, CancellationToken.None);
            }

            Assert.Equal(0, filed);
            Assert.Equal(cases, rejections);
            Assert.Equal(0, receiver.OpenCount);
            // No forged wipe report made the host revoke the appliance.
            Assert.Contains(device, Suite.HostService<Appliance.Host.Core.Provisioning.IDeviceCertificates>().ActiveDevices());
        }
        finally
        {
            inbound.MessageRejected -= onRejected;
            receiver.Rejected -= onRejected;
            filing.Rejected -= onFilingRejected;
            filing.Filed -= onFiled;
        }
    }

    /// <summary>Offer-shaped JSON with an impossible length, chunk size or digest list.</summary>
    private static byte[] OfferLike(string device, Random rng) => rng.Next(3) switch
    {
        0 => ProtocolJson.Serialize(new TransferOffer(Guid.NewGuid().ToString(), device, -rng.Next(1, 100), 16384, [])),
        1 => ProtocolJson.Serialize(new TransferOffer(Guid.NewGuid().ToString(), device, 100_000, rng.Next(0, TransferOffer.MinChunkSize), ["00"])),
        _ => ProtocolJson.Serialize(new TransferOffer(Guid.NewGuid().ToString(), device, 40_000, 16384, [new string('a', 64), "not-hex"])),
    };

    /// <summary>A wipe report that is random bytes, unsigned, or signed by a key that is not the device's.</summary>
    private static byte[] WipeReportLike(string device, Random rng)
    {
        var report = new WipeReport(device, DateTimeOffset.UtcNow, ["TLS private key"], 0, 5, WipeTrigger.Remote, Guid.NewGuid().ToString("N"));
        return rng.Next(3) switch
        {
            0 => Random(rng, 512),
            1 => ProtocolJson.Serialize(report),
            _ => ProtocolJson.Serialize(report with { Signature = SeriesSigning.SignBytes(SeriesSigning.CreateKeyPair().PrivateKey, report.SignedBytes()) }),
        };
    }

    /// <summary>Status-shaped JSON with a wrong type or an impossible value.</summary>
    private static byte[] StatusLike(string device, Random rng) =>
        System.Text.Encoding.UTF8.GetBytes(
            "{\"deviceId\":\"" + device + "\",\"state\":" + rng.Next() + ",\"queueDepth\":-" + rng.Next(1, 9) + "}");

    private static byte[] Random(Random rng, int max)
    {
        var bytes = new byte[rng.Next(0, max)];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A real upload with one to eight bytes changed anywhere, or cut short.</summary>
    private static byte[] Mutate(byte[] envelope, Random rng)
    {
        var copy = (byte[])envelope.Clone();
        if (rng.Next(5) == 0)
        {
            return copy[..rng.Next(copy.Length)];
        }

        for (var n = rng.Next(1, 9); n > 0; n--)
        {
            copy[rng.Next(copy.Length)] ^= (byte)rng.Next(1, 256);
        }

        return copy;
    }
}
