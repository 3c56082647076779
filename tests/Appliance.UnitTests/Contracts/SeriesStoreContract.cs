using System.Security.Cryptography;
using Appliance.Firmware.Core;
using Appliance.Firmware.Storage;
using Appliance.TestFixtures;
using Appliance.TestKit;

namespace Appliance.UnitTests.Contracts;

/// <summary>
/// What every <see cref="ISeriesStore"/> promises, run against each implementation (the
/// appliance's LiteDB store and the test kit's fake), so that a unit test on the fake says
/// something about the appliance: as dotnet/iot runs one GPIO contract against every driver.
/// </summary>
public abstract class SeriesStoreContract : IDisposable
{
    private readonly List<StoredSeries> _made = [];

    protected abstract ISeriesStore Store { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private (StoredSeries Series, SealedEnvelope Envelope, byte[] Flat) NewSeries(DateTimeOffset? capturedAt = null)
    {
        // Sizes that do not fall on chunk boundaries, header and two frames.
        var header = RandomNumberGenerator.GetBytes(517);
        byte[][] frames = [RandomNumberGenerator.GetBytes(70_001), RandomNumberGenerator.GetBytes(9_999)];
        var envelope = new SealedEnvelope(header, [.. frames.Select(f => (ReadOnlyMemory<byte>)f)]);
        var series = new StoredSeries(Guid.NewGuid().ToString(), SeriesState.Queued, capturedAt ?? DateTimeOffset.UnixEpoch.AddDays(_made.Count), ["aa", "bb"], 0, ChunkDigests.For(envelope));
        _made.Add(series);
        return (series, envelope, envelope.ToArray());
    }

    [Fact]
    public async Task AStoredSeries_IsFoundWithItsLengthAndDigests_AndReadsBackByteForByte()
    {
        var (series, envelope, flat) = NewSeries();

        await Store.AddAsync(series, envelope, CancellationToken.None);

        var found = await Store.FindAsync(series.SeriesId, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal((series.SeriesId, SeriesState.Queued, flat.LongLength), (found.SeriesId, found.State, found.EnvelopeBytes));
        Assert.Equal(series.FrameSha256, found.FrameSha256);
        Assert.Equal(series.Chunks!.Sha256, found.Chunks!.Sha256);
        Assert.Equal(flat, await Store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        using var reader = (await Store.OpenEnvelopeAsync(series.SeriesId, CancellationToken.None))!;
        Assert.Equal(flat.LongLength, reader.Length);
        // Read in pieces across the header and frame boundaries, as an upload does.
        var pieces = new byte[flat.Length];
        for (var offset = 0; offset < flat.Length; offset += 4_096)
        {
            await reader.ReadAsync(offset, pieces.AsMemory(offset, Math.Min(4_096, flat.Length - offset)), CancellationToken.None);
        }

        Assert.Equal(flat, pieces);
    }

    [Fact]
    public async Task TheSameIdTwice_IsRefused_AndTheFirstStays()
    {
        var (series, envelope, flat) = NewSeries();
        await Store.AddAsync(series, envelope, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.AddAsync(series, new SealedEnvelope(new byte[] { 1 }, [new byte[] { 2 }]), CancellationToken.None));

        Assert.Equal(flat, await Store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        Assert.Equal(1, await Store.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Pending_IsOldestFirst_AndLeavesOutFiledSeries()
    {
        var newest = NewSeries(DateTimeOffset.UnixEpoch.AddDays(3));
        var oldest = NewSeries(DateTimeOffset.UnixEpoch.AddDays(1));
        var filed = NewSeries(DateTimeOffset.UnixEpoch.AddDays(2));
        foreach (var (series, envelope, _) in new[] { newest, oldest, filed })
        {
            await Store.AddAsync(series, envelope, CancellationToken.None);
        }

        await Store.SetStateAsync(filed.Series.SeriesId, SeriesState.Filed, CancellationToken.None);
        await Store.SetStateAsync(newest.Series.SeriesId, SeriesState.Uploading, CancellationToken.None);

        var pending = await Store.ListPendingAsync(CancellationToken.None);
        Assert.Equal([oldest.Series.SeriesId, newest.Series.SeriesId], pending.Select(s => s.SeriesId));
        Assert.Equal(SeriesState.Uploading, pending[1].State);
        Assert.Equal(3, await Store.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Delete_RemovesTheSeriesAndItsEnvelope_AndSaysWhetherItWasThere()
    {
        var (series, envelope, _) = NewSeries();
        await Store.AddAsync(series, envelope, CancellationToken.None);

        Assert.True(await Store.DeleteAsync(series.SeriesId, CancellationToken.None));
        Assert.False(await Store.DeleteAsync(series.SeriesId, CancellationToken.None));

        Assert.Null(await Store.FindAsync(series.SeriesId, CancellationToken.None));
        Assert.Null(await Store.ReadEnvelopeAsync(series.SeriesId, CancellationToken.None));
        Assert.Null(await Store.OpenEnvelopeAsync(series.SeriesId, CancellationToken.None));
        Assert.Equal(0, await Store.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ASeriesThatIsNotThere_IsNotFound_AndItsStateCannotBeSet()
    {
        var missing = Guid.NewGuid().ToString();

        Assert.Null(await Store.FindAsync(missing, CancellationToken.None));
        Assert.Null(await Store.ReadEnvelopeAsync(missing, CancellationToken.None));
        Assert.Null(await Store.OpenEnvelopeAsync(missing, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.SetStateAsync(missing, SeriesState.Filed, CancellationToken.None));
    }
}

public sealed class LiteDbSeriesStoreContract : SeriesStoreContract
{
    private readonly TempFolder _folder = new("store-contract");
    private readonly LiteDbSeriesStore _store;

    public LiteDbSeriesStoreContract() => _store = new LiteDbSeriesStore(_folder.Combine("store", "series.db"), "contract-secret", new StoreOptions { MinFreeBytes = 0 });

    protected override ISeriesStore Store => _store;

    public override void Dispose()
    {
        _store.Dispose();
        _folder.Dispose();
        base.Dispose();
    }
}

public sealed class FakeSeriesStoreContract : SeriesStoreContract
{
    protected override ISeriesStore Store { get; } = new FakeSeriesStore();
}
