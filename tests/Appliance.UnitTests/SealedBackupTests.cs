using System.Buffers.Binary;
using Appliance.Host.Infrastructure.Backup;

namespace Appliance.UnitTests;

/// <summary>A backup file someone has crafted or extended is refused, and refused cheaply.</summary>
public sealed class SealedBackupTests
{
    private const string Passphrase = "a long backup passphrase";

    private static byte[] Backup(byte[] content)
    {
        using var file = new MemoryStream();
        using (var sealedStream = new SealedBackupWriteStream(file, Passphrase, memoryKiB: 8 * 1024, passes: 1))
        {
            sealedStream.Write(content);
        }

        return file.ToArray();
    }

    private static byte[] ReadAll(byte[] backup)
    {
        using var reader = new SealedBackupReadStream(new MemoryStream(backup), Passphrase);
        using var content = new MemoryStream();
        reader.CopyTo(content);
        return content.ToArray();
    }

    [Fact]
    public void ABackup_ReadsBackWhole()
    {
        var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * SealedBackup.ChunkSize / 2);
        Assert.Equal(content, ReadAll(Backup(content)));
    }

    [Fact]
    public void BytesAddedAfterTheLastChunk_AreRefused()
    {
        var backup = Backup("the host's data folder"u8.ToArray());

        var extended = Assert.Throws<InvalidDataException>(() => ReadAll([.. backup, .. "and something else"u8]));
        Assert.Contains("after its last chunk", extended.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2u * 1024 * 1024, 1u)] // 2 GiB of memory for the key
    [InlineData(8u * 1024, 500u)] // 500 passes
    public void AHeaderAskingForAnAbsurdKeyDerivation_IsRefusedBeforeDeriving(uint memoryKiB, uint passes)
    {
        var backup = Backup("x"u8.ToArray());
        BinaryPrimitives.WriteUInt32BigEndian(backup.AsSpan(20), memoryKiB);
        BinaryPrimitives.WriteUInt32BigEndian(backup.AsSpan(24), passes);

        var refused = Assert.Throws<InvalidDataException>(() => ReadAll(backup));
        Assert.Contains("refused before deriving", refused.Message, StringComparison.Ordinal);
    }
}
