using Appliance.Host.Core.Filing;

namespace Appliance.TestKit;

/// <summary>An upload held in memory that remembers the most it was asked for at once (filing must read a frame at a time).</summary>
public sealed class FakeSealedUpload(byte[] envelope) : ISealedUpload
{
    public long Length => envelope.Length;

    public int LargestRead { get; private set; }

    public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        LargestRead = Math.Max(LargestRead, destination.Length);
        envelope.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return Task.CompletedTask;
    }
}
