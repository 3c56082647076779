using System.Buffers.Binary;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace Appliance.Host.Infrastructure.Backup;

/// <summary>
/// The backup file's encryption: a key from the operator's passphrase (Argon2id), and the
/// content in 1 MiB chunks, each XChaCha20-Poly1305 with its index and a last-chunk flag in
/// the associated data, so a reordered, altered or cut-short backup fails to read.
/// File: <c>"ASB1" ‖ salt(16) ‖ u32 memory KiB ‖ u32 passes ‖ nonce(24)</c>, then chunks of
/// <c>u32 length ‖ u8 last ‖ ciphertext ‖ tag</c>.
/// </summary>
public static class SealedBackup
{
    public const int ChunkSize = 1 << 20;
    internal static ReadOnlySpan<byte> Magic => "ASB1"u8;
    internal static AeadAlgorithm Aead => AeadAlgorithm.XChaCha20Poly1305;
    internal const int HeaderSize = 4 + 16 + 4 + 4 + 24;

    // The header is read, and its cost settings used, before anything in it can be authenticated:
    // a crafted file must not make the host spend gigabytes and minutes before the first check.
    internal const uint MinMemoryKiB = 8 * 1024;
    internal const uint MaxMemoryKiB = 1024 * 1024;
    internal const uint MaxPasses = 10;

    internal static bool AreSaneCosts(uint memoryKiB, uint passes) => memoryKiB is >= MinMemoryKiB and <= MaxMemoryKiB && passes is >= 1 and <= MaxPasses;

    internal static Key DeriveKey(string passphrase, ReadOnlySpan<byte> salt, uint memoryKiB, uint passes)
    {
        if (string.IsNullOrEmpty(passphrase) || passphrase.Length < 12)
        {
            throw new ArgumentException("the backup passphrase must be at least 12 characters", nameof(passphrase));
        }

        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = memoryKiB, NumberOfPasses = passes });
        return kdf.DeriveKey(passphrase, salt, Aead, new KeyCreationParameters());
    }

    internal static byte[] Nonce(ReadOnlySpan<byte> baseNonce, long index)
    {
        var nonce = baseNonce.ToArray();
        var counter = BinaryPrimitives.ReadInt64LittleEndian(nonce.AsSpan(16)) ^ index;
        BinaryPrimitives.WriteInt64LittleEndian(nonce.AsSpan(16), counter);
        return nonce;
    }

    internal static byte[] AssociatedData(ReadOnlySpan<byte> header, long index, bool last)
    {
        var ad = new byte[header.Length + 9];
        header.CopyTo(ad);
        BinaryPrimitives.WriteInt64LittleEndian(ad.AsSpan(header.Length), index);
        ad[^1] = last ? (byte)1 : (byte)0;
        return ad;
    }
}

/// <summary>Writes a sealed backup: everything written is encrypted in chunks; disposing writes the last chunk.</summary>
public sealed class SealedBackupWriteStream : Stream
{
    private readonly Stream _output;
    private readonly Key _key;
    private readonly byte[] _header = new byte[SealedBackup.HeaderSize];
    private readonly byte[] _buffer = new byte[SealedBackup.ChunkSize];
    private int _filled;
    private long _index;
    private bool _closed;

    public SealedBackupWriteStream(Stream output, string passphrase, uint memoryKiB = 64 * 1024, uint passes = 3)
    {
        if (!SealedBackup.AreSaneCosts(memoryKiB, passes))
        {
            throw new ArgumentOutOfRangeException(nameof(memoryKiB), "key-derivation settings a reader would refuse");
        }

        _output = output;
        SealedBackup.Magic.CopyTo(_header);
        RandomNumberGenerator.Fill(_header.AsSpan(4, 16));
        BinaryPrimitives.WriteUInt32BigEndian(_header.AsSpan(20), memoryKiB);
        BinaryPrimitives.WriteUInt32BigEndian(_header.AsSpan(24), passes);
        RandomNumberGenerator.Fill(_header.AsSpan(28, 24));
        _key = SealedBackup.DeriveKey(passphrase, _header.AsSpan(4, 16), memoryKiB, passes);
        _output.Write(_header);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _buffer.Length)
            {
                WriteChunk(last: false);
            }
        }
    }

    private void WriteChunk(bool last)
    {
        Span<byte> prefix = stackalloc byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)_filled);
        prefix[4] = last ? (byte)1 : (byte)0;
        var sealedChunk = new byte[_filled + SealedBackup.Aead.TagSize];
        SealedBackup.Aead.Encrypt(_key, SealedBackup.Nonce(_header.AsSpan(28, 24), _index), SealedBackup.AssociatedData(_header, _index, last), _buffer.AsSpan(0, _filled), sealedChunk);
        _output.Write(prefix);
        _output.Write(sealedChunk);
        _index++;
        _filled = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_closed)
        {
            _closed = true;
            WriteChunk(last: true);
            _output.Flush();
            _key.Dispose();
        }

        base.Dispose(disposing);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Reads a sealed backup back; a wrong passphrase, a changed byte or a missing end is an <see cref="InvalidDataException"/>.</summary>
public sealed class SealedBackupReadStream : Stream
{
    private readonly Stream _input;
    private readonly Key _key;
    private readonly byte[] _header = new byte[SealedBackup.HeaderSize];
    private byte[] _chunk = [];
    private int _position;
    private long _index;
    private bool _ended;

    public SealedBackupReadStream(Stream input, string passphrase)
    {
        _input = input;
        try
        {
            _input.ReadExactly(_header);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("not a backup: too short", ex);
        }

        if (!_header.AsSpan(0, 4).SequenceEqual(SealedBackup.Magic))
        {
            throw new InvalidDataException("not a backup (bad magic)");
        }

        var memory = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(20));
        var passes = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(24));
        if (!SealedBackup.AreSaneCosts(memory, passes))
        {
            throw new InvalidDataException($"backup header asks for key-derivation settings no backup of ours uses ({memory} KiB, {passes} passes): refused before deriving anything");
        }

        _key = SealedBackup.DeriveKey(passphrase, _header.AsSpan(4, 16), memory, passes);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_position == _chunk.Length)
        {
            if (_ended)
            {
                return 0;
            }

            NextChunk();
        }

        var take = Math.Min(buffer.Length, _chunk.Length - _position);
        _chunk.AsSpan(_position, take).CopyTo(buffer);
        _position += take;
        return take;
    }

    private void NextChunk()
    {
        Span<byte> prefix = stackalloc byte[5];
        try
        {
            _input.ReadExactly(prefix);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("backup is cut short: its last chunk is missing", ex);
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        var last = prefix[4] == 1;
        if (length > SealedBackup.ChunkSize || prefix[4] > 1)
        {
            throw new InvalidDataException($"backup chunk {_index} has an impossible header");
        }

        var sealedChunk = new byte[length + SealedBackup.Aead.TagSize];
        try
        {
            _input.ReadExactly(sealedChunk);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"backup is cut short inside chunk {_index}", ex);
        }

        var plaintext = new byte[length];
        if (!SealedBackup.Aead.Decrypt(_key, SealedBackup.Nonce(_header.AsSpan(28, 24), _index), SealedBackup.AssociatedData(_header, _index, last), sealedChunk, plaintext))
        {
            throw new InvalidDataException($"backup chunk {_index} fails authentication (wrong passphrase, or the file was changed)");
        }

        _chunk = plaintext;
        _position = 0;
        _index++;
        _ended = last;
        if (last && _input.ReadByte() != -1)
        {
            // Nothing follows the last chunk in a backup we wrote; bytes there were added to it.
            throw new InvalidDataException("backup has bytes after its last chunk: the file was changed");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
