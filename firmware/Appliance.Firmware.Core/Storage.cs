namespace Appliance.Firmware.Core;

/// <summary>Where a series is in its life on the appliance.</summary>
public enum SeriesState
{
    Queued,
    Uploading,
    Filed,
}

/// <summary>
/// A sealed series as the appliance keeps it: its state and digests. The upload envelope
/// (manifest plus frames sealed to the host, tens of megabytes at 12 MP) is read separately,
/// one series at a time. Nothing in either can be opened on the appliance.
/// </summary>
public sealed record StoredSeries(string SeriesId, SeriesState State, DateTimeOffset CapturedAt, string[] FrameSha256, long EnvelopeBytes);

/// <summary>The appliance's store of sealed series, kept until the host confirms filing.</summary>
public interface ISeriesStore
{
    /// <summary>Stores a series and its envelope; once this returns both survive a power cut.</summary>
    Task AddAsync(StoredSeries series, ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken);

    /// <summary>The upload envelope of a stored series; null if the series is not (or no longer) there.</summary>
    Task<byte[]?> ReadEnvelopeAsync(string seriesId, CancellationToken cancellationToken);

    /// <summary>Series not yet confirmed filed, oldest first.</summary>
    Task<IReadOnlyList<StoredSeries>> ListPendingAsync(CancellationToken cancellationToken);

    Task<StoredSeries?> FindAsync(string seriesId, CancellationToken cancellationToken);

    Task SetStateAsync(string seriesId, SeriesState state, CancellationToken cancellationToken);

    /// <summary>Removes a series for good; true if it was there.</summary>
    Task<bool> DeleteAsync(string seriesId, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);
}
