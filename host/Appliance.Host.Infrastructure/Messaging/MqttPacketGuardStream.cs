namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>A packet announced larger than the broker accepts (or a malformed length); the connection ends before any of it is buffered.</summary>
public sealed class MqttPacketTooLargeException(string message) : IOException(message);

/// <summary>
/// Reads a client's bytes for the broker and follows MQTT's framing as they pass (a fixed-header
/// byte, a variable-length "remaining length" of one to four bytes, then that many bytes). The
/// moment a packet's announced size is known and over the limit it throws, before the length's
/// last byte reaches MQTTnet, which would otherwise allocate the whole announced size (up to
/// 256 MB) and fill it, before any check, authentication included.
/// </summary>
public sealed class MqttPacketGuardStream(Stream inner, int maxPacketSize) : Stream
{
    private enum Part
    {
        FixedHeader,
        RemainingLength,
        Body,
    }

    private Part _part = Part.FixedHeader;
    private int _lengthBytes;
    private long _remainingLength;
    private long _bodyLeft;

    /// <summary>Packets read whole so far (a test's witness that the framing was followed).</summary>
    public long PacketsRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Follow(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Follow(buffer.AsSpan(offset, read));
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Follow(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            switch (_part)
            {
                case Part.FixedHeader:
                    i++;
                    _part = Part.RemainingLength;
                    _lengthBytes = 0;
                    _remainingLength = 0;
                    break;
                case Part.RemainingLength:
                    var b = bytes[i++];
                    _remainingLength |= (long)(b & 0x7F) << (7 * _lengthBytes);
                    _lengthBytes++;
                    if ((b & 0x80) != 0)
                    {
                        if (_lengthBytes == 4)
                        {
                            throw new MqttPacketTooLargeException("malformed packet: a remaining length longer than four bytes");
                        }

                        break;
                    }

                    var total = 1 + _lengthBytes + _remainingLength;
                    if (total > maxPacketSize)
                    {
                        throw TooLarge(total);
                    }

                    _bodyLeft = _remainingLength;
                    if (_bodyLeft == 0)
                    {
                        PacketsRead++;
                        _part = Part.FixedHeader;
                    }
                    else
                    {
                        _part = Part.Body;
                    }

                    break;
                default:
                    var skip = (int)Math.Min(_bodyLeft, bytes.Length - i);
                    i += skip;
                    _bodyLeft -= skip;
                    if (_bodyLeft == 0)
                    {
                        PacketsRead++;
                        _part = Part.FixedHeader;
                    }

                    break;
            }
        }
    }

    private MqttPacketTooLargeException TooLarge(long announced) =>
        new($"a packet of {announced} bytes announced, over the {maxPacketSize}-byte limit");
}
