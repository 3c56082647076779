using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using LiteDB;

namespace Appliance.EndToEndTests;

public sealed class LiteDbSeriesStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static StoredSeries Series() =>
        new(Guid.NewGuid().ToString(), SeriesState.Queued, DateTimeOffset.UtcNow, ["ab"], 0);

    private static SealedEnvelope Envelope(params byte[][] frames) =>
        new(new byte[] { 0xA5, 0x5A }, [.. frames.Select(f => (ReadOnlyMemory<byte>)f)]);

    [Fact]
    public async Task StoreFolder_HoldsNeitherFramePixelsNorTheManifestInTheClear()
    {
        var frame = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, 320, 240, false);
        var markers = PlaintextScan.Markers(frame.Pixels);
        // Control: the scan does find the markers when the bytes are there in the clear.
        var control = _folder.Combine("control.bin");
        await File.WriteAllBytesAsync(control, frame.Pixels);
        Assert.True(PlaintextScan.Found(await File.ReadAllBytesAsync(control), markers));
        File.Delete(control);

        // A series as the capture stores it: the frame sealed to the host, the manifest in the header.
        var (_, hostPublic) = SeriesSealing.CreateHostKeyPair();
        var seriesId = Guid.NewGuid().ToString();
        using var sealer = new SeriesSealer(hostPublic, "store-test-01", seriesId);
        var digest = SeriesSealing.Sha256Hex(frame.Pixels);
        var sealedFrame = sealer.SealFrame(0, frame.Pixels, digest);
        var series = SealedSeriesFactory.Create(episodeCode: "EP-STRTESTXYZ", seriesId: seriesId);
        var header = SeriesEnvelope.EncodeHeader(series.Routing, series.SealedManifest);
        using (var store = new LiteDbSeriesStore(_folder.Combine("store", "series.db"), "device-secret-for-test"))
        {
            await store.AddAsync(Series() with { SeriesId = seriesId }, new SealedEnvelope(header, [sealedFrame]), CancellationToken.None);
            Assert.Equal(1, await store.CountAsync(CancellationToken.None));
        }

        Assert.False(PlaintextScan.AnyFound(_folder.Path, markers));
        Assert.False(PlaintextScan.AnyFound(_folder.Path, [System.Text.Encoding.UTF8.GetBytes("EP-STRTESTXYZ"), System.Text.Encoding.UTF8.GetBytes("left forearm")]));
    }

    [Fact]
    public async Task ChunkDigestsHashedWhenStored_SurviveAReopen_AndMatchWhatIsReadBack()
    {
        // Frames of odd sizes, so that chunks straddle the header and the frames.
        var envelope = Envelope(System.Security.Cryptography.RandomNumberGenerator.GetBytes(70_001), System.Security.Cryptography.RandomNumberGenerator.GetBytes(130_003));
        var series = Series() with { Chunks = ChunkDigests.For(envelope) };
        var path = _folder.Combine("series.db");
        using (var store = new LiteDbSeriesStore(path, "secret"))
        {
            await store.AddAsync(series, envelope, CancellationToken.None);
        }

        using var reopened = new LiteDbSeriesStore(path, "secret");
        var chunks = (await reopened.FindAsync(series.SeriesId, CancellationToken.None))!.Chunks!;
        var stored = (await reopened.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None))!;
        Assert.True(chunks.Fit(stored.Length, TransferOffer.DefaultChunkSize));
        // Hashed independently, chunk by chunk over the flat bytes read back.
        Assert.Equal(new TransferScript("store-test-01", Guid.NewGuid(), stored, TransferOffer.DefaultChunkSize).Offer.ChunkSha256, chunks.Sha256);
        Assert.False(chunks.Fit(stored.Length, TransferOffer.MinChunkSize));
    }

    [Fact]
    public async Task Store_WrongSecret_DoesNotOpen()
    {
        var path = _folder.Combine("series.db");
        using (var store = new LiteDbSeriesStore(path, "right-secret"))
        {
            await store.AddAsync(Series(), Envelope([1, 2, 3]), CancellationToken.None);
        }

        var ex = Assert.Throws<LiteException>(() => new LiteDbSeriesStore(path, "wrong-secret"));
        Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Series_SurvivesReopen_UntilDeleted()
    {
        var path = _folder.Combine("series.db");
        var series = Series();
        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            await store.AddAsync(series, Envelope([9, 8], [7]), CancellationToken.None);
            await store.SetStateAsync(series.SeriesId, SeriesState.Uploading, CancellationToken.None);
        }

        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            var pending = Assert.Single(await store.ListPendingAsync(CancellationToken.None));
            Assert.Equal(SeriesState.Uploading, pending.State);
            Assert.Equal(5, pending.EnvelopeBytes);
            Assert.Equal([0xA5, 0x5A, 9, 8, 7], await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
            Assert.True(await store.DeleteAsync(series.SeriesId, CancellationToken.None));
            Assert.Equal(0, await store.CountAsync(CancellationToken.None));
            Assert.Null(await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        }
    }

    [Fact]
    public async Task TwelveMegapixelSeries_PastLiteDbsDocumentLimit_IsStoredAndReadBackWhole()
    {
        // Two 4056×3040 RGB frames sealed: about 74 MB, over four times LiteDB's 16 MB document limit.
        var frames = new[] { new byte[(4056 * 3040 * 3) + SeriesSealing.Overhead], new byte[(4056 * 3040 * 3) + SeriesSealing.Overhead] };
        new Random(5).NextBytes(frames[0]);
        new Random(6).NextBytes(frames[1]);
        var envelope = Envelope(frames);
        var series = Series();
        using (var store = new LiteDbSeriesStore(_folder.Combine("series.db"), "s"))
        {
            await store.AddAsync(series, envelope, CancellationToken.None);
        }

        using (var store = new LiteDbSeriesStore(_folder.Combine("series.db"), "s"))
        {
            Assert.Equal(envelope.Length, Assert.Single(await store.ListPendingAsync(CancellationToken.None)).EnvelopeBytes);
            Assert.Equal(envelope.ToArray(), await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        }
    }

    [Fact]
    public async Task WhatACrashLeavesBehind_PartialFramesOrFramesWithoutADocument_IsRemovedOnOpen()
    {
        var path = _folder.Combine("series.db");
        var kept = Series();
        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            await store.AddAsync(kept, Envelope([1]), CancellationToken.None);
        }

        // A crash while writing frames, and one after the frames but before the document.
        var framesFolder = _folder.Combine("series.sealed");
        var orphan = Guid.NewGuid().ToString();
        await File.WriteAllBytesAsync(Path.Combine(framesFolder, Guid.NewGuid() + ".sealed.partial"), [4, 5]);
        await File.WriteAllBytesAsync(Path.Combine(framesFolder, orphan + ".sealed"), [4, 5, 6]);

        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            Assert.Equal(kept.SeriesId, Assert.Single(await store.ListPendingAsync(CancellationToken.None)).SeriesId);
            Assert.Null(await store.ReadEnvelopeAsync(orphan, CancellationToken.None));
        }

        Assert.Equal([kept.SeriesId + ".sealed"], Directory.GetFiles(framesFolder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DocumentWhoseFramesAreGone_IsDroppedOnOpen_RatherThanRetriedForever()
    {
        var path = _folder.Combine("series.db");
        var series = Series();
        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            await store.AddAsync(series, Envelope([1]), CancellationToken.None);
        }

        File.Delete(_folder.Combine("series.sealed", series.SeriesId + ".sealed"));

        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            Assert.Empty(await store.ListPendingAsync(CancellationToken.None));
        }
    }

    [Fact]
    public async Task CheckRoom_SaysWhyWhenTheSeriesCountTheBytesOrTheDiskRunOut()
    {
        var path = _folder.Combine("series.db");
        using (var store = new LiteDbSeriesStore(path, "s", new StoreOptions { MaxSeries = 2, MaxBytes = 10L << 20, MinFreeBytes = 0 }))
        {
            Assert.Null(await store.CheckRoomAsync(1 << 20, CancellationToken.None));
            await store.AddAsync(Series(), Envelope(new byte[6 << 20]), CancellationToken.None);
            Assert.Contains("MiB wait for the host", await store.CheckRoomAsync(5L << 20, CancellationToken.None));
            Assert.Null(await store.CheckRoomAsync(1 << 20, CancellationToken.None));
            await store.AddAsync(Series(), Envelope(new byte[1]), CancellationToken.None);
            Assert.Contains("2 series wait for the host", await store.CheckRoomAsync(1, CancellationToken.None));
        }

        // A disk that cannot keep the configured reserve after one more series.
        using (var store = new LiteDbSeriesStore(path, "s", new StoreOptions { MinFreeBytes = 1L << 50 }))
        {
            Assert.Contains("disk nearly full", await store.CheckRoomAsync(1, CancellationToken.None));
        }
    }

    [Fact]
    public async Task ASeriesIdAlreadyStored_IsRefused_AndTheFirstSeriesIsKeptWhole()
    {
        using var store = new LiteDbSeriesStore(_folder.Combine("series.db"), "s");
        var series = Series();
        await store.AddAsync(series, Envelope([1, 2, 3]), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AddAsync(series, Envelope([9, 9, 9, 9]), CancellationToken.None));

        Assert.Equal([0xA5, 0x5A, 1, 2, 3], await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
    }

    [Fact]
    public async Task SeriesIdThatIsNotAGuid_NeverBecomesAPath()
    {
        using var store = new LiteDbSeriesStore(_folder.Combine("series.db"), "s");
        var series = Series() with { SeriesId = "../../etc/passwd" };

        await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync(series, Envelope([1]), CancellationToken.None));
        Assert.Equal(0, await store.CountAsync(CancellationToken.None));
    }

    public void Dispose() => _folder.Dispose();
}
