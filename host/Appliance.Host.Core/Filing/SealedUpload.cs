namespace Appliance.Host.Core.Filing;

/// <summary>
/// A series envelope as uploaded, read a piece at a time from wherever it lies (a transfer's
/// part file, or memory), so that filing never needs the whole series in memory.
/// </summary>
public interface ISealedUpload
{
    long Length { get; }

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/>.</summary>
    Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Completes once the bytes at <paramref name="offset"/> can be read without waiting: at once
    /// for an upload that is all there; when its chunks are in for one still arriving. Filing
    /// waits here before it allocates a frame's buffer, so a transfer cut mid-way holds no frame.
    /// </summary>
    Task WaitForAsync(long offset, long length, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>An upload already in memory (a test's, or a small one).</summary>
public sealed class MemoryUpload(ReadOnlyMemory<byte> envelope) : ISealedUpload
{
    public long Length => envelope.Length;

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        envelope.Slice((int)offset, destination.Length).CopyTo(destination);
        return Task.CompletedTask;
    }
}
