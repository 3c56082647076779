using Appliance.Protocol;
using Appliance.TestKit;

namespace Appliance.UnitTests;

public sealed class SeriesEnvelopeTests
{
    internal static (SeriesManifest Manifest, byte[][] Plain, byte[][] Sealed, byte[] HostPrivate) MakeSeries()
    {
        var series = SealedSeriesFactory.Create();
        return (series.Manifest, series.Plain, series.Sealed, series.HostPrivateKey);
    }

    [Fact]
    public void EncodeDecode_RoundTripsManifestAndFrames()
    {
        var (manifest, _, sealedFrames, _) = MakeSeries();

        var envelope = SeriesEnvelope.Encode(manifest, sealedFrames);

        Assert.True(SeriesEnvelope.TryDecode(envelope, out var decoded, out var frames, out var error), error);
        Assert.Equal(manifest.SeriesId, decoded.SeriesId);
        Assert.Equal(manifest.Frames.Select(f => f.Sha256), decoded.Frames.Select(f => f.Sha256));
        Assert.Equal(sealedFrames[1], frames[1].ToArray());
    }

    [Fact]
    public void Decode_TruncatedBody_IsRejectedWithReason()
    {
        var (manifest, _, sealedFrames, _) = MakeSeries();
        var envelope = SeriesEnvelope.Encode(manifest, sealedFrames);

        Assert.False(SeriesEnvelope.TryDecode(envelope.AsMemory(0, envelope.Length - 10), out _, out _, out var error));
        Assert.Contains("body is", error);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'A', (byte)'S', (byte)'E', (byte)'1', 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { (byte)'A', (byte)'S', (byte)'E', (byte)'1', 0, 0, 0, 2, (byte)'{', (byte)'}' })]
    public void Decode_Garbage_ReturnsFalseWithoutThrowing(byte[] payload)
    {
        Assert.False(SeriesEnvelope.TryDecode(payload, out _, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 500; i++)
        {
            var payload = new byte[rng.Next(0, 2048)];
            rng.NextBytes(payload);
            if (payload.Length >= 4 && i % 2 == 0)
            {
                "ASE1"u8.CopyTo(payload);
            }

            Assert.False(SeriesEnvelope.TryDecode(payload, out _, out _, out _));
        }
    }
}

public sealed class SeriesSealingTests
{
    [Fact]
    public void Open_WithHostKey_ReturnsTheFramesThatWereSealed()
    {
        var (manifest, plain, sealedFrames, hostPrivate) = SeriesEnvelopeTests.MakeSeries();
        using var unsealer = new SeriesUnsealer(hostPrivate);

        var opened = unsealer.TryOpen(manifest, [.. sealedFrames.Select(f => (ReadOnlyMemory<byte>)f)], out var error);

        Assert.NotNull(opened);
        Assert.Equal(plain[0], opened[0]);
        Assert.Equal(plain[1], opened[1]);
        Assert.Empty(error);
    }

    [Fact]
    public void Open_OneFlippedBit_Fails()
    {
        var (manifest, _, sealedFrames, hostPrivate) = SeriesEnvelopeTests.MakeSeries();
        sealedFrames[1][30] ^= 0x01;
        using var unsealer = new SeriesUnsealer(hostPrivate);

        Assert.Null(unsealer.TryOpen(manifest, [.. sealedFrames.Select(f => (ReadOnlyMemory<byte>)f)], out var error));
        Assert.Contains("frame 1", error);
    }

    [Fact]
    public void Open_FramesSwappedBetweenSlots_Fails()
    {
        var (manifest, _, sealedFrames, hostPrivate) = SeriesEnvelopeTests.MakeSeries();
        using var unsealer = new SeriesUnsealer(hostPrivate);

        Assert.Null(unsealer.TryOpen(manifest, [sealedFrames[1], sealedFrames[0]], out _));
    }

    [Fact]
    public void Open_ManifestClaimingAnotherDevice_Fails()
    {
        var (manifest, _, sealedFrames, hostPrivate) = SeriesEnvelopeTests.MakeSeries();
        using var unsealer = new SeriesUnsealer(hostPrivate);

        Assert.Null(unsealer.TryOpen(manifest with { DeviceId = "other-device-02" }, [.. sealedFrames.Select(f => (ReadOnlyMemory<byte>)f)], out _));
    }

    [Fact]
    public void Open_WithAnotherHostsKey_Fails()
    {
        var (manifest, _, sealedFrames, _) = SeriesEnvelopeTests.MakeSeries();
        var (otherPrivate, _) = SeriesSealing.CreateHostKeyPair();
        using var unsealer = new SeriesUnsealer(otherPrivate);

        Assert.Null(unsealer.TryOpen(manifest, [.. sealedFrames.Select(f => (ReadOnlyMemory<byte>)f)], out _));
    }
}

public sealed class ApplianceTopicsTests
{
    [Theory]
    [InlineData("appliance/v1/clinic-a-01/series", "clinic-a-01", "series")]
    [InlineData("appliance/v1/clinic-a-01/status", "clinic-a-01", "status")]
    [InlineData("appliance/v1/pi-7/command", "pi-7", "command")]
    public void TryParse_DeviceTopics_SplitsDeviceAndKind(string topic, string device, string kind)
    {
        Assert.True(ApplianceTopics.TryParse(topic, out var d, out var k));
        Assert.Equal(device, d);
        Assert.Equal(kind, k);
    }

    [Theory]
    [InlineData("appliance/v1/+/series")]
    [InlineData("appliance/v1/#")]
    [InlineData("appliance/v1/Clinic/series")]
    [InlineData("appliance/v1/clinic-a-01/series/extra")]
    [InlineData("appliance/v1/clinic-a-01/secrets")]
    [InlineData("other/v1/clinic-a-01/series")]
    [InlineData("")]
    public void TryParse_AnythingElse_IsRefused(string topic) => Assert.False(ApplianceTopics.TryParse(topic, out _, out _));
}
