using System.Collections.Concurrent;
using Appliance.Firmware.Core;

namespace Appliance.TestKit;

/// <summary>An in-memory series store for unit tests of the capture state machine.</summary>
public sealed class FakeSeriesStore : ISeriesStore
{
    private readonly ConcurrentDictionary<string, StoredSeries> _series = new();
    private readonly ConcurrentDictionary<string, byte[]> _envelopes = new();

    public IReadOnlyCollection<StoredSeries> All => [.. _series.Values];

    public byte[] EnvelopeOf(string seriesId) => _envelopes[seriesId];

    public Task AddAsync(StoredSeries series, SealedEnvelope envelope, CancellationToken cancellationToken)
    {
        if (FailNextAdd is { } failure)
        {
            FailNextAdd = null;
            throw failure;
        }

        // As the real store: a duplicate id is refused before anything of it is kept.
        if (!_series.TryAdd(series.SeriesId, series with { EnvelopeBytes = envelope.Length }))
        {
            throw new InvalidOperationException("duplicate series id");
        }

        _envelopes[series.SeriesId] = envelope.ToArray();
        return Task.CompletedTask;
    }

    public Task<byte[]?> ReadEnvelopeAsync(string seriesId, CancellationToken cancellationToken) =>
        Task.FromResult(_series.ContainsKey(seriesId) ? _envelopes.GetValueOrDefault(seriesId) : null);

    public Task<IEnvelopeReader?> OpenEnvelopeAsync(string seriesId, CancellationToken cancellationToken) =>
        Task.FromResult<IEnvelopeReader?>(_series.ContainsKey(seriesId) && _envelopes.TryGetValue(seriesId, out var envelope) ? new MemoryEnvelopeReader(envelope) : null);

    public Task<IReadOnlyList<StoredSeries>> ListPendingAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StoredSeries>>([.. _series.Values.Where(s => s.State != SeriesState.Filed).OrderBy(s => s.CapturedAt)]);

    public Task<StoredSeries?> FindAsync(string seriesId, CancellationToken cancellationToken) =>
        Task.FromResult(_series.GetValueOrDefault(seriesId));

    public Task SetStateAsync(string seriesId, SeriesState state, CancellationToken cancellationToken)
    {
        _series[seriesId] = _series[seriesId] with { State = state };
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string seriesId, CancellationToken cancellationToken) => Task.FromResult(_series.TryRemove(seriesId, out _) & _envelopes.TryRemove(seriesId, out _));

    public Task<int> CountAsync(CancellationToken cancellationToken) => Task.FromResult(_series.Count);

    /// <summary>What <see cref="CheckRoomAsync"/> answers: null while there is room.</summary>
    public string? FullBecause { get; set; }

    /// <summary>Thrown by the next <see cref="AddAsync"/>, as a disk that fills up under the write would.</summary>
    public Exception? FailNextAdd { get; set; }

    public Task<string?> CheckRoomAsync(long seriesBytes, CancellationToken cancellationToken) => Task.FromResult(FullBecause);
}
