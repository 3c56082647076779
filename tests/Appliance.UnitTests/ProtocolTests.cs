using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.UnitTests;

public sealed class SeriesEnvelopeTests
{
    [Fact]
    public void EncodeDecode_RoundTripsRoutingSealedManifestAndFrames()
    {
        var series = SealedSeriesFactory.Create();

        Assert.True(SeriesEnvelope.TryDecode(series.Envelope(), out var routing, out var sealedManifest, out var frames, out var error), error);
        Assert.Equal(series.Manifest.SeriesId, routing.SeriesId);
        Assert.Equal(series.SealedManifest, sealedManifest.ToArray());
        Assert.Equal(series.Sealed[1], frames[1].ToArray());
    }

    [Fact]
    public void Envelope_ShowsNoManifestFieldInTheClear()
    {
        var envelope = SealedSeriesFactory.Create(episodeCode: "EP-CLEARTEXTX").Envelope();

        foreach (var secret in new[] { "EP-CLEARTEXTX", "left forearm", "job-1", "DirectCare" })
        {
            Assert.True(envelope.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret)) < 0, $"'{secret}' is readable in the envelope");
        }
    }

    [Fact]
    public void Decode_TruncatedBody_IsRejectedWithReason()
    {
        var envelope = SealedSeriesFactory.Create().Envelope();

        Assert.False(SeriesEnvelope.TryDecode(envelope.AsMemory(0, envelope.Length - 10), out _, out _, out _, out var error));
        Assert.Contains("body is", error);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'A', (byte)'S', (byte)'E', (byte)'2', 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { (byte)'A', (byte)'S', (byte)'E', (byte)'2', 0, 0, 0, 2, (byte)'{', (byte)'}' })]
    [InlineData(new byte[] { (byte)'A', (byte)'S', (byte)'E', (byte)'1', 0, 0, 0, 2, (byte)'{', (byte)'}' })]
    public void Decode_Garbage_ReturnsFalseWithoutThrowing(byte[] payload)
    {
        Assert.False(SeriesEnvelope.TryDecode(payload, out _, out _, out _, out var error));
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
                "ASE2"u8.CopyTo(payload);
            }

            Assert.False(SeriesEnvelope.TryDecode(payload, out _, out _, out _, out _));
        }
    }
}

public sealed class SeriesSealingTests
{
    private static (SeriesManifest? Manifest, byte[][]? Frames, string Error) OpenEnvelope(byte[] envelope, byte[] hostPrivate)
    {
        if (!SeriesEnvelope.TryDecode(envelope, out var routing, out var sealedManifest, out var sealedFrames, out var error))
        {
            return (null, null, error);
        }

        using var unsealer = new SeriesUnsealer(hostPrivate);
        var manifest = unsealer.TryOpenManifest(routing, sealedManifest.Span, out error);
        return manifest is null ? (null, null, error) : (manifest, unsealer.TryOpen(manifest, sealedFrames, out error), error);
    }

    [Fact]
    public void Open_WithHostKey_ReturnsTheManifestAndFramesThatWereSealed()
    {
        var series = SealedSeriesFactory.Create();

        var (manifest, frames, error) = OpenEnvelope(series.Envelope(), series.HostPrivateKey);

        Assert.Equal(series.Manifest.EpisodeCode, manifest?.EpisodeCode);
        Assert.Equal(series.Manifest.Frames.Select(f => f.Sha256), manifest!.Frames.Select(f => f.Sha256));
        Assert.Equal(series.Plain[0], frames![0]);
        Assert.Equal(series.Plain[1], frames[1]);
        Assert.Empty(error);
    }

    /// <summary>Every byte after the routing, one at a time: manifest bytes and frame bytes alike.</summary>
    [Fact]
    public void Open_AnyOneByteChangedInTheSealedManifestOrAFrame_Fails()
    {
        var series = SealedSeriesFactory.Create();
        var envelope = series.Envelope();
        var bodyStart = envelope.Length - series.SealedManifest.Length - series.Sealed.Sum(f => f.Length);
        for (var i = bodyStart; i < envelope.Length; i++)
        {
            var tampered = (byte[])envelope.Clone();
            tampered[i] ^= 0x01;

            var (manifest, frames, error) = OpenEnvelope(tampered, series.HostPrivateKey);

            Assert.True(manifest is null || frames is null, $"byte {i} changed and the series still opened");
            Assert.Contains("fails authentication", error);
        }
    }

    [Theory]
    [InlineData("\"seriesId\":\"", "fails authentication")]
    [InlineData("\"deviceId\":\"unit-device-0", "fails authentication")]
    public void Open_RoutingRewrittenToAnotherSeriesOrDevice_Fails(string field, string reason)
    {
        var series = SealedSeriesFactory.Create();
        var envelope = series.Envelope();
        var at = envelope.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(field)) + System.Text.Encoding.UTF8.GetByteCount(field);
        envelope[at] = envelope[at] == (byte)'1' ? (byte)'2' : (byte)'1'; // still a valid GUID or device id, but another one

        var (manifest, _, error) = OpenEnvelope(envelope, series.HostPrivateKey);

        Assert.Null(manifest);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Open_FramesSwappedBetweenSlots_Fails()
    {
        var series = SealedSeriesFactory.Create();
        using var unsealer = new SeriesUnsealer(series.HostPrivateKey);

        Assert.Null(unsealer.TryOpen(series.Manifest, [series.Sealed[1], series.Sealed[0]], out _));
    }

    [Fact]
    public void Open_WithAnotherHostsKey_Fails()
    {
        var series = SealedSeriesFactory.Create();
        var (otherPrivate, _) = SeriesSealing.CreateHostKeyPair();

        var (manifest, _, error) = OpenEnvelope(series.Envelope(), otherPrivate);

        Assert.Null(manifest);
        Assert.Contains("manifest fails authentication", error);
    }
}

public sealed class SeriesSigningTests
{
    private static bool Verifies(SealedSeries series, byte[] envelope, byte[] publicKey) =>
        SeriesEnvelope.TryDecode(envelope, out var routing, out var sealedManifest, out var frames, out _)
        && SeriesSigning.Verify(publicKey, routing, sealedManifest.Span, frames);

    [Fact]
    public void ASignedSeries_VerifiesWithItsDevicesKey_AndNoOther()
    {
        var series = SealedSeriesFactory.Create();

        Assert.True(Verifies(series, series.Envelope(), series.SigningPublicKey));
        Assert.False(Verifies(series, series.Envelope(), SeriesSigning.CreateKeyPair().PublicKey));
    }

    [Fact]
    public void AChangedFrameTag_ManifestByteOrRoutingField_BreaksTheSignature()
    {
        var series = SealedSeriesFactory.Create();
        var envelope = series.Envelope();
        var lastFrameTag = envelope.Length - 1;
        var manifestByte = envelope.Length - series.Sealed.Sum(f => f.Length) - 5;
        foreach (var at in new[] { lastFrameTag, manifestByte })
        {
            var tampered = (byte[])envelope.Clone();
            tampered[at] ^= 0x80;
            Assert.False(Verifies(series, tampered, series.SigningPublicKey), $"byte {at} changed and the signature held");
        }

        Assert.True(SeriesEnvelope.TryDecode(envelope, out var routing, out var sealedManifest, out var frames, out _));
        var other = routing with { DeviceId = "other-device-02" };
        Assert.False(SeriesSigning.Verify(series.SigningPublicKey, other, sealedManifest.Span, frames));
    }
}

public sealed class ApplianceTopicsTests
{
    [Theory]
    [InlineData("appliance/v2/clinic-a-01/upload", "clinic-a-01", "upload")]
    [InlineData("appliance/v2/clinic-a-01/status", "clinic-a-01", "status")]
    [InlineData("appliance/v2/pi-7/command", "pi-7", "command")]
    [InlineData("appliance/v2/pi-7/progress", "pi-7", "progress")]
    public void TryParse_DeviceTopics_SplitsDeviceAndKind(string topic, string device, string kind)
    {
        Assert.True(ApplianceTopics.TryParse(topic, out var d, out var k));
        Assert.Equal(device, d);
        Assert.Equal(kind, k);
    }

    [Fact]
    public void TryParse_TransferTopic_NamesTheReceiver()
    {
        Assert.True(ApplianceTopics.TryParse("appliance/v2/pi-7/transfer/host-b", out var device, out var kind, out var receiver));
        Assert.Equal(("pi-7", "transfer", "host-b"), (device, kind, receiver));
        // The two-part form does not take a transfer topic: code that ignores receivers cannot mistake one.
        Assert.False(ApplianceTopics.TryParse("appliance/v2/pi-7/transfer/host-b", out _, out _));
    }

    [Theory]
    [InlineData("appliance/v2/+/upload")]
    [InlineData("appliance/v2/#")]
    [InlineData("appliance/v2/Clinic/upload")]
    [InlineData("appliance/v2/clinic-a-01/upload/extra")]
    [InlineData("appliance/v2/clinic-a-01/transfer")]
    [InlineData("appliance/v2/clinic-a-01/transfer/+")]
    [InlineData("appliance/v2/clinic-a-01/transfer/host/x")]
    [InlineData("appliance/v2/clinic-a-01/series")]
    [InlineData("appliance/v2/clinic-a-01/secrets")]
    [InlineData("other/v2/clinic-a-01/upload")]
    [InlineData("")]
    public void TryParse_AnythingElse_IsRefused(string topic) => Assert.False(ApplianceTopics.TryParse(topic, out _, out _, out _));

    [Theory]
    [InlineData("appliance/v1/clinic-a-01/status", "update the appliance's firmware")]
    [InlineData("appliance/v1/clinic-a-01/transfer/host", "update the appliance's firmware")]
    [InlineData("appliance/v3/clinic-a-01/upload", "update the host")]
    public void ATopicOfAnotherProtocolVersion_IsNotParsed_AndItsRefusalSaysWhichSideToUpdate(string topic, string advice)
    {
        Assert.False(ApplianceTopics.TryParse(topic, out _, out _, out _));
        Assert.Contains(advice, ApplianceTopics.OtherVersionRefusal(topic));
    }

    [Theory]
    [InlineData("appliance/v2/clinic-a-01/status")]
    [InlineData("other/v1/clinic-a-01/status")]
    [InlineData("appliance/vx/clinic-a-01/status")]
    public void TopicsOfThisVersionOrOfNoVersion_HaveNoVersionRefusal(string topic) => Assert.Null(ApplianceTopics.OtherVersionRefusal(topic));

    [Fact]
    public void HostSubscriptions_ShareOffersStatusWipeReportsAndUpdates_ButNotTheInstancesOwnTransferTopic()
    {
        Assert.Equal(
            ["$share/hosts/appliance/v2/+/upload", "$share/hosts/appliance/v2/+/status", "$share/hosts/appliance/v2/+/wiped", "$share/hosts/appliance/v2/+/calibration",
                "$share/hosts/appliance/v2/+/fetch", "$share/hosts/appliance/v2/+/update", "appliance/v2/+/transfer/host-b"],
            ApplianceTopics.HostSubscriptions("host-b", "hosts"));
        Assert.Equal(
            ["appliance/v2/+/upload", "appliance/v2/+/status", "appliance/v2/+/wiped", "appliance/v2/+/calibration", "appliance/v2/+/fetch", "appliance/v2/+/update", "appliance/v2/+/transfer/host"],
            ApplianceTopics.HostSubscriptions("host"));
    }
}

public sealed class TransferProtocolTests
{
    [Fact]
    public void Frame_RoundTrips_AndRefusesWhatIsNotOne()
    {
        var id = Guid.NewGuid();
        var frame = TransferFrame.Encode(TransferFrameKind.Chunk, id, 7, [1, 2, 3]);

        Assert.True(TransferFrame.TryDecode(frame, out var kind, out var seriesId, out var index, out var chunk, out _));
        Assert.Equal((TransferFrameKind.Chunk, id, 7), (kind, seriesId, index));
        Assert.Equal([1, 2, 3], chunk.ToArray());

        Assert.False(TransferFrame.TryDecode(frame.AsMemory(0, TransferFrame.HeaderLength - 1), out _, out _, out _, out _, out var error));
        Assert.Contains("too short", error, StringComparison.Ordinal);
        frame[4] = 9;
        Assert.False(TransferFrame.TryDecode(frame, out _, out _, out _, out _, out error));
        Assert.Contains("unknown transfer frame kind", error, StringComparison.Ordinal);
        var end = TransferFrame.Encode(TransferFrameKind.End, id, 3, [0]);
        Assert.False(TransferFrame.TryDecode(end, out _, out _, out _, out _, out error));
        Assert.Contains("carries no bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_CountsChunks_AndValidatesItsShape()
    {
        var digest = new string('a', 64);
        var offer = new TransferOffer(Guid.NewGuid().ToString(), "pi-7", 10_000, 4096, [digest, digest, digest]);

        Assert.Equal(3, offer.ChunkCount);
        Assert.Equal(10_000 - 8192, offer.ChunkLength(2));
        Assert.Null(offer.Validate(1 << 20, 1 << 20));
        Assert.Contains("3 chunk digests", offer with { ChunkSha256 = [digest] } is var few ? few.Validate(1 << 20, 1 << 20) : null, StringComparison.Ordinal);
        Assert.Contains("length", offer.Validate(9_999, 1 << 20), StringComparison.Ordinal);
        Assert.Contains("chunk size", (offer with { ChunkSize = 100 }).Validate(1 << 20, 1 << 20), StringComparison.Ordinal);
        Assert.Contains("lower-case hex", (offer with { ChunkSha256 = [digest, digest, digest.ToUpperInvariant()] }).Validate(1 << 20, 1 << 20), StringComparison.Ordinal);
    }

    [Fact]
    public void Progress_CompressesMissingChunksIntoRanges_AndBack()
    {
        int[] missing = [0, 1, 2, 5, 9, 10];

        var ranges = TransferProgress.ToRanges(missing);

        Assert.Equal([new ChunkRange(0, 3), new ChunkRange(5, 1), new ChunkRange(9, 2)], ranges);
        Assert.Equal(missing, new TransferProgress("s", "host", TransferState.Receiving, ranges).MissingIndices());
        Assert.Empty(TransferProgress.ToRanges([]));
    }
}

/// <summary>The appliance's states are one enum on both sides, with their wire names unchanged.</summary>
public sealed class ApplianceStateTests
{
    [Theory]
    [InlineData(ApplianceState.Online, "online")]
    [InlineData(ApplianceState.Armed, "armed")]
    [InlineData(ApplianceState.CalibrationFailed, "calibration-failed")]
    [InlineData(ApplianceState.CalibrationCancelled, "calibration-cancelled")]
    public void EachState_TravelsUnderItsWireName_AndComesBack(ApplianceState state, string wire)
    {
        var json = System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(new ApplianceStatus("clinic-a-01", state, "0.1.0", 0, DateTimeOffset.UnixEpoch)));

        Assert.Contains($"\"state\":\"{wire}\"", json);
        Assert.Equal(wire, state.Name());
        Assert.True(ProtocolJson.TryDeserialize<ApplianceStatus>(System.Text.Encoding.UTF8.GetBytes(json), out var back, out var error), error);
        Assert.Equal(state, back.State);
    }

    [Theory]
    [InlineData("\"dancing\"")]
    [InlineData("\"Armed\"")]
    [InlineData("3")]
    public void AStatusWithAStateTheProtocolDoesNotKnow_IsRefusedWithAReason(string state)
    {
        var json = "{\"deviceId\":\"clinic-a-01\",\"state\":" + state + ",\"firmwareVersion\":\"0.1.0\",\"queueDepth\":0,\"at\":\"2026-12-01T00:00:00+00:00\"}";

        Assert.False(ProtocolJson.TryDeserialize<ApplianceStatus>(System.Text.Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    public static TheoryData<ApplianceStatus, string> StatusesWithTheWrongIds()
    {
        var at = DateTimeOffset.UnixEpoch;
        var series = Guid.NewGuid().ToString();
        return new TheoryData<ApplianceStatus, string>
        {
            { new ApplianceStatus("clinic-a-01", ApplianceState.Accepted, "0.1.0", 1, at, "job-1"), "accepted state names no seriesId" },
            { new ApplianceStatus("clinic-a-01", ApplianceState.Accepted, "0.1.0", 1, at, "job-1", SeriesId: "../../etc"), "not a series id" },
            { new ApplianceStatus("clinic-a-01", ApplianceState.Calibrating, "0.1.0", 0, at, Reason: "present the white card"), "calibrationRunId" },
            { new ApplianceStatus("clinic-a-01", ApplianceState.Armed, "0.1.0", 0, at, "job-1", CalibrationRunId: "run-1"), "calibrationRunId" },
            { new ApplianceStatus("clinic-a-01", ApplianceState.Calibrated, "0.1.0", 0, at, CalibrationRunId: "run-1"), "names no profileId" },
            { new ApplianceStatus("clinic-a-01", ApplianceState.Wiping, "0.1.0", 0, at), "names no orderId" },
            { new ApplianceStatus("clinic-a-01", ApplianceState.Accepted, "0.1.0", 1, at, "job-1", Reason: series), "accepted state names no seriesId" },
        };
    }

    [Theory]
    [MemberData(nameof(StatusesWithTheWrongIds))]
    public void EachIdTravelsInItsOwnField_AndAStatusMissingOneIsRefused(ApplianceStatus status, string reason) =>
        Assert.Contains(reason, status.Validate());

    [Fact]
    public void StatusesWithTheirIds_AreValid()
    {
        var at = DateTimeOffset.UnixEpoch;
        Assert.Null(new ApplianceStatus("clinic-a-01", ApplianceState.Accepted, "0.1.0", 1, at, "job-1", SeriesId: Guid.NewGuid().ToString()).Validate());
        Assert.Null(new ApplianceStatus("clinic-a-01", ApplianceState.Calibrated, "0.1.0", 0, at, CalibrationRunId: "run-1", ProfileId: "p-1").Validate());
        Assert.Null(new ApplianceStatus("clinic-a-01", ApplianceState.CalibrationFailed, "0.1.0", 0, at, Reason: "expired", CalibrationRunId: "run-1").Validate());
        Assert.Null(new ApplianceStatus("clinic-a-01", ApplianceState.Wiping, "0.1.0", 0, at, OrderId: "o-1").Validate());
    }

    [Fact]
    public void EveryState_HasAWireName() =>
        Assert.All(Enum.GetValues<ApplianceState>(), s => Assert.Matches("^[a-z]+(-[a-z]+)*$", s.Name()));
}
