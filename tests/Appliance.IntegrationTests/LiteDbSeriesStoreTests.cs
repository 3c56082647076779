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

    private static StoredSeries Series(byte[] envelopeContent) =>
        new(Guid.NewGuid().ToString(), SeriesState.Queued, DateTimeOffset.UtcNow, ["ab"], envelopeContent);

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
            await store.AddAsync(Series(frame.Pixels), CancellationToken.None);
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
            await store.AddAsync(Series([1, 2, 3]), CancellationToken.None);
        }

        var ex = Assert.Throws<LiteException>(() => new LiteDbSeriesStore(path, "wrong-secret"));
        Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Series_SurvivesReopen_UntilDeleted()
    {
        var path = _folder.Combine("series.db");
        var series = Series([9, 8, 7]);
        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            await store.AddAsync(series, CancellationToken.None);
            await store.SetStateAsync(series.SeriesId, SeriesState.Uploading, CancellationToken.None);
        }

        using (var store = new LiteDbSeriesStore(path, "s"))
        {
            var pending = Assert.Single(await store.ListPendingAsync(CancellationToken.None));
            Assert.Equal(SeriesState.Uploading, pending.State);
            Assert.Equal(series.Envelope, pending.Envelope);
            Assert.True(await store.DeleteAsync(series.SeriesId, CancellationToken.None));
            Assert.Equal(0, await store.CountAsync(CancellationToken.None));
        }
    }

    public void Dispose() => _folder.Dispose();
}
