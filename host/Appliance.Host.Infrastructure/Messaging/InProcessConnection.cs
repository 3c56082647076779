using System.Buffers;
using System.IO.Pipelines;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>
/// A connection between two parts of one process, as a pair of streams: what one end writes the
/// other reads, in order, until either end is disposed (the other then reads the end of the stream
/// and its writes fail, as with a closed socket). The embedded broker and the host's own client
/// meet over it: a loopback socket and TLS between two objects in one process protect nothing and
/// cost every byte of a transfer two trips through the kernel and two through the cipher.
/// </summary>
public static class InProcessConnection
{
    // Large enough that a 1 MB transfer chunk passes without the writer waiting on every read;
    // small enough that a reader who stops reading holds back its writer (back-pressure, as TCP's window).
    private static readonly PipeOptions Options = new(
        pauseWriterThreshold: 4 * 1024 * 1024,
        resumeWriterThreshold: 2 * 1024 * 1024,
        minimumSegmentSize: 64 * 1024,
        useSynchronizationContext: false);

    /// <summary>Two connected ends.</summary>
    public static (Stream First, Stream Second) CreatePair()
    {
        var forward = new Pipe(Options);
        var backward = new Pipe(Options);
        return (new End(backward.Reader, forward.Writer), new End(forward.Reader, backward.Writer));
    }

    private sealed class End(PipeReader reader, PipeWriter writer) : Stream
    {
        private int _disposed;

        public override bool CanRead => Volatile.Read(ref _disposed) == 0;

        public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var available = result.Buffer;
                    if (!available.IsEmpty)
                    {
                        var taken = (int)Math.Min(buffer.Length, available.Length);
                        available.Slice(0, taken).CopyTo(buffer.Span);
                        reader.AdvanceTo(available.GetPosition(taken));
                        return taken;
                    }

                    reader.AdvanceTo(available.Start);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        return 0; // the other end has gone, or this one is closing
                    }
                }
            }
            catch (InvalidOperationException) when (Volatile.Read(ref _disposed) != 0)
            {
                // Closed on another thread while this read waited: the pipe refuses the rest of the read.
                return 0;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            FlushResult result;
            try
            {
                result = await writer.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(GetType().Name); // closed on another thread mid-write
            }

            // Cancelled: this end closed while the write waited for room.
            ObjectDisposedException.ThrowIf(result.IsCanceled, this);

            if (result.IsCompleted)
            {
                throw new IOException("the other end of the in-process connection has closed it");
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
            // Every write is delivered as it is made.
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                // A read waiting on this end returns, as a read on a closed socket does; then both
                // directions end: the other end reads the end of the stream, and its writes fail.
                reader.CancelPendingRead();
                writer.CancelPendingFlush();
                writer.Complete();
                reader.Complete();
            }

            base.Dispose(disposing);
        }
    }
}
