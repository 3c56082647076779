using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.TestKit;
using LiteDB;

namespace Appliance.IntegrationTests;

public sealed class LiteDbSeriesStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static StoredSeries Series() =>
        new(Guid.NewGuid().ToString(), SeriesState.Queued, DateTimeOffset.UtcNow, ["ab"], 0);

    [Fact]
    public async Task StoreFile_HoldsNoPlaintextFromAFrame_EvenWhenAFrameIsStoredUnsealed()
    {
        var frame = SimulatedCamera.Render(new SimulatedScene(), LightingMode.CrossPolarised, 320, 240, false);
        var markers = PlaintextScan.Markers(frame.Pixels);
        // Control: the scan does find the markers when the bytes are there in the clear.
        var control = _folder.Combine("control.bin");
        await File.WriteAllBytesAsync(control, frame.Pixels);
        Assert.True(PlaintextScan.Found(await File.ReadAllBytesAsync(control), markers));
        File.Delete(control);

        // Worst case for the store alone: raw pixels as the envelope. The file layer must still hide them.
        using (var store = new LiteDbSeriesStore(_folder.Combine("store", "series.db"), "device-secret-for-test"))
        {
            await store.AddAsync(Series(), frame.Pixels, CancellationToken.None);
            Assert.Equal(1, await store.CountAsync(CancellationToken.None));
        }

        Assert.False(PlaintextScan.AnyFound(_folder.Path, markers));
    }

    [Fact]
    public async Task Store_WrongSecret_DoesNotOpen()
    {
        var path = _folder.Combine("series.db");
        using (var store = new LiteDbSeriesStore(path, "right-secret"))
        {
            await store.AddAsync(Series(), new byte[] { 1, 2, 3 }, CancellationToken.None);
        }

        var ex = Assert.Throws<LiteException>(() => new LiteDbSeriesStore(path, "wrong-secret"));
        Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Series_SurvivesReopen_UntilDeleted()
    {
        var path = _folder.Combine("series.db");
        var series = Series();
        byte[] envelope = [9, 8, 7];
        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            await store.AddAsync(series, envelope, CancellationToken.None);
            await store.SetStateAsync(series.SeriesId, SeriesState.Uploading, CancellationToken.None);
        }

        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            var pending = Assert.Single(await store.ListPendingAsync(CancellationToken.None));
            Assert.Equal(SeriesState.Uploading, pending.State);
            Assert.Equal(3, pending.EnvelopeBytes);
            Assert.Equal(envelope, await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
            Assert.True(await store.DeleteAsync(series.SeriesId, CancellationToken.None));
            Assert.Equal(0, await store.CountAsync(CancellationToken.None));
            Assert.Null(await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        }
    }

    [Fact]
    public async Task TwelveMegapixelSeries_PastLiteDbsDocumentLimit_IsStoredAndReadBackWhole()
    {
        // Two 4056×3040 RGB frames sealed: about 74 MB, over four times LiteDB's 16 MB document limit.
        var envelope = new byte[(4056 * 3040 * 3 * 2) + 4096];
        new Random(5).NextBytes(envelope);
        var series = Series();
        using (var store = new LiteDbSeriesStore(_folder.Combine("series.db"), "s"))
        {
            await store.AddAsync(series, envelope, CancellationToken.None);
        }

        using (var store = new LiteDbSeriesStore(_folder.Combine("series.db"), "s"))
        {
            Assert.Equal(envelope.Length, Assert.Single(await store.ListPendingAsync(CancellationToken.None)).EnvelopeBytes);
            Assert.Equal(envelope, await store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        }
    }

    [Fact]
    public async Task EnvelopeWithoutItsDocument_LeftByACrashBetweenTheTwoWrites_IsRemovedOnOpen()
    {
        var path = _folder.Combine("series.db");
        var kept = Series();
        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            await store.AddAsync(kept, new byte[] { 1 }, CancellationToken.None);
        }

        // What a crash after the envelope and before the document leaves behind.
        using (var db = new LiteDatabase(new ConnectionString { Filename = path, Password = "s", Connection = ConnectionType.Shared }))
        {
            db.GetStorage<string>("envelopes", "envelope_chunks").Upload("orphan", "orphan.ase", new MemoryStream([4, 5, 6]));
        }

        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            Assert.Equal(kept.SeriesId, Assert.Single(await store.ListPendingAsync(CancellationToken.None)).SeriesId);
        }

        using (var db = new LiteDatabase(new ConnectionString { Filename = path, Password = "s", Connection = ConnectionType.Shared }))
        {
            var ids = db.GetStorage<string>("envelopes", "envelope_chunks").FindAll().Select(f => f.Id).ToList();
            Assert.Equal([kept.SeriesId], ids);
        }
    }

    public void Dispose() => _folder.Dispose();
}
