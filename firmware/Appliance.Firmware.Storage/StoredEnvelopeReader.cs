using Appliance.Firmware.Core;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Firmware.Storage;

/// <summary>
/// A stored envelope read in place: the header from the store's record, then the sealed frames
/// straight from their file, so a chunk costs one positioned read and nothing is copied whole.
/// </summary>
internal sealed class StoredEnvelopeReader(byte[] header, SafeFileHandle frames) : IEnvelopeReader
{
    private readonly long _framesLength = RandomAccess.GetLength(frames);

    public long Length => header.Length + _framesLength;

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "read past the end of the envelope");
        }

        if (offset < header.Length)
        {
            var fromHeader = (int)Math.Min(destination.Length, header.Length - offset);
            header.AsMemory((int)offset, fromHeader).CopyTo(destination);
            destination = destination[fromHeader..];
            offset += fromHeader;
        }

        var position = offset - header.Length;
        while (!destination.IsEmpty)
        {
            var read = await RandomAccess.ReadAsync(frames, destination, position, cancellationToken);
            if (read == 0)
            {
                throw new InvalidDataException("the sealed frames file ended early");
            }

            destination = destination[read..];
            position += read;
        }
    }

    public void Dispose() => frames.Dispose();
}
