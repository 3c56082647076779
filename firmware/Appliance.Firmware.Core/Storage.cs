namespace Appliance.Firmware.Core;

/// <summary>Where a series is in its life on the appliance.</summary>
public enum SeriesState
{
    Queued,
    Uploading,
    Filed,
}

/// <summary>
/// A sealed series as the appliance keeps it: the upload envelope (manifest plus frames sealed
/// to the host) and its state. Nothing in it can be opened on the appliance.
/// </summary>
public sealed record StoredSeries(string SeriesId, SeriesState State, DateTimeOffset CapturedAt, string[] FrameSha256, byte[] Envelope);

/// <summary>The appliance's store of sealed series, kept until the host confirms filing.</summary>
public interface ISeriesStore
{
    Task AddAsync(StoredSeries series, CancellationToken cancellationToken);

    /// <summary>Series not yet confirmed filed, oldest first.</summary>
    Task<IReadOnlyList<StoredSeries>> ListPendingAsync(CancellationToken cancellationToken);

    Task<StoredSeries?> FindAsync(string seriesId, CancellationToken cancellationToken);

    Task SetStateAsync(string seriesId, SeriesState state, CancellationToken cancellationToken);

    /// <summary>Removes a series for good; true if it was there.</summary>
    Task<bool> DeleteAsync(string seriesId, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);
}
