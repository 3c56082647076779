using Appliance.Host.Infrastructure.Messaging;

namespace Appliance.UnitTests;

/// <summary>The broker's packet guard follows MQTT framing however the bytes arrive, and stops only what is over the limit.</summary>
public sealed class MqttPacketGuardStreamTests
{
    private const int Limit = 1000;

    /// <summary>A packet of <paramref name="total"/> bytes: a header byte, the remaining length, then filler.</summary>
    private static byte[] Packet(byte type, int total)
    {
        for (var lengthBytes = 1; lengthBytes <= 4; lengthBytes++)
        {
            var remaining = total - 1 - lengthBytes;
            if (remaining >= 0 && remaining < 1 << (7 * lengthBytes) && (lengthBytes == 1 || remaining >= 1 << (7 * (lengthBytes - 1))))
            {
                var bytes = new List<byte> { type };
                var value = remaining;
                do
                {
                    var b = (byte)(value % 128);
                    value /= 128;
                    bytes.Add(value > 0 ? (byte)(b | 0x80) : b);
                }
                while (value > 0);
                bytes.AddRange(new byte[remaining]);
                return [.. bytes];
            }
        }

        throw new ArgumentOutOfRangeException(nameof(total));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task PacketsUpToTheLimit_PassWhole_HoweverTheReadsCutThem(int readSize)
    {
        var packets = new[] { Packet(0x10, 2), Packet(0x30, 200), Packet(0x30, Limit), Packet(0xC0, 2) };
        using var guard = new MqttPacketGuardStream(new MemoryStream([.. packets.SelectMany(p => p)]), Limit);

        var got = new List<byte>();
        var buffer = new byte[readSize];
        int read;
        while ((read = await guard.ReadAsync(buffer)) > 0)
        {
            got.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        Assert.Equal(packets.Sum(p => p.Length), got.Count);
        Assert.Equal(4, guard.PacketsRead);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public async Task APacketOneByteOverTheLimit_IsRefusedBeforeItsLengthIsHandedOn(int readSize)
    {
        var first = Packet(0x10, 20);
        var big = Packet(0x30, Limit + 1);
        using var guard = new MqttPacketGuardStream(new MemoryStream([.. first, .. big]), Limit);

        var handedOn = 0;
        var buffer = new byte[readSize];
        var refused = await Assert.ThrowsAsync<MqttPacketTooLargeException>(async () =>
        {
            int read;
            while ((read = await guard.ReadAsync(buffer)) > 0)
            {
                handedOn += read;
            }
        });

        Assert.Contains($"a packet of {Limit + 1} bytes announced", refused.Message, StringComparison.Ordinal);
        // Whatever the reads, the reader never got the big packet's whole length to act on.
        Assert.True(handedOn < first.Length + 3, $"{handedOn} bytes handed on");
    }

    [Fact]
    public async Task ARemainingLengthOfFiveBytes_IsMalformed()
    {
        using var guard = new MqttPacketGuardStream(new MemoryStream([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), int.MaxValue);

        var malformed = await Assert.ThrowsAsync<MqttPacketTooLargeException>(() => guard.ReadAsync(new byte[16]).AsTask());
        Assert.Contains("malformed", malformed.Message, StringComparison.Ordinal);
    }
}
