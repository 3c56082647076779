using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Filing;
using Appliance.Protocol;
using Appliance.TestKit;

namespace Appliance.IntegrationTests;

/// <summary>
/// Random and mutated bytes through every parser the host exposes to devices (the series and
/// status topics, and topics it does not read): no exception, nothing filed, a rejection with a
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
        var rejections = 0;
        var filed = 0;
        EventHandler<string> onRejected = (_, _) => Interlocked.Increment(ref rejections);
        EventHandler<FilingRejection> onFilingRejected = (_, _) => Interlocked.Increment(ref rejections);
        EventHandler<FiledSeries> onFiled = (_, _) => Interlocked.Increment(ref filed);
        inbound.MessageRejected += onRejected;
        filing.Rejected += onFilingRejected;
        filing.Filed += onFiled;
        try
        {
            var rng = new Random(20261124);
            var device = Suite.DeviceId;
            var valid = SealedSeriesFactory.Create(device, hostPublicKey: Suite.HostService<IHostSealingKey>().PublicKey).Envelope();
            const int messages = 300;
            for (var i = 0; i < messages; i++)
            {
                var (topic, payload) = (i % 6) switch
                {
                    0 => (ApplianceTopics.Series(device), Random(rng, 4096)),
                    1 => (ApplianceTopics.Series(device), [.. "ASE2"u8, .. Random(rng, 512)]),
                    2 => (ApplianceTopics.Series(device), Mutate(valid, rng)),
                    3 => (ApplianceTopics.Status(device), Random(rng, 256)),
                    4 => (ApplianceTopics.Status(device), StatusLike(device, rng)),
                    _ => ($"appliance/v1/{device}/{(rng.Next(2) == 0 ? "command" : "receipt")}", Random(rng, 64)),
                };

                await inbound.HandleAsync(topic, payload, CancellationToken.None);
            }

            Assert.Equal(0, filed);
            Assert.Equal(messages, rejections);
        }
        finally
        {
            inbound.MessageRejected -= onRejected;
            filing.Rejected -= onFilingRejected;
            filing.Filed -= onFiled;
        }
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
