using Appliance.Protocol;

namespace Appliance.Host.Core.Transfers;

/// <summary>An unfinished transfer as the store lists it.</summary>
public sealed record StoredTransfer(TransferOffer Offer, DateTimeOffset LastWrite);

/// <summary>
/// Where a host instance keeps the chunks of unfinished transfers, so that a restart of the
/// host resumes them instead of starting over. Holds only what arrived on the wire: the series
/// sealed to the host, never anything opened.
/// </summary>
public interface ITransferStore
{
    /// <summary>Starts (or restarts) a transfer: records the offer and makes room for its bytes.</summary>
    Task BeginAsync(TransferOffer offer, CancellationToken cancellationToken);

    /// <summary>Unfinished transfers, with their offers; what a restarted host resumes from.</summary>
    Task<IReadOnlyList<StoredTransfer>> ListAsync(CancellationToken cancellationToken);

    Task WriteAsync(string deviceId, string seriesId, long offset, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>Reads back bytes at an offset (zeros where nothing was written).</summary>
    Task ReadAsync(string deviceId, string seriesId, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    Task DeleteAsync(string deviceId, string seriesId, CancellationToken cancellationToken);
}
