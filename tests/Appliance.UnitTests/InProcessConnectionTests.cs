using System.Security.Cryptography;
using Appliance.Host.Infrastructure.Messaging;

namespace Appliance.UnitTests;

/// <summary>The in-process connection behaves as a socket does: bytes in order both ways, and an end that closes is seen to close.</summary>
public sealed class InProcessConnectionTests
{
    [Fact]
    public async Task BytesWrittenAtOneEnd_ArriveAtTheOther_InOrder_BothWays()
    {
        var (a, b) = InProcessConnection.CreatePair();
        await using var _ = a;
        await using var __ = b;
        // Larger than the pipe lets a writer run ahead, so the reader and writer must take turns.
        var sent = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 17);
        var reply = RandomNumberGenerator.GetBytes(70_000);

        var writing = Task.Run(async () =>
        {
            for (var offset = 0; offset < sent.Length; offset += 100_003)
            {
                await a.WriteAsync(sent.AsMemory(offset, Math.Min(100_003, sent.Length - offset)));
            }
        });
        var received = await ReadExactlyAsync(b, sent.Length);
        await writing;
        await b.WriteAsync(reply);
        var replied = await ReadExactlyAsync(a, reply.Length);

        Assert.Equal(sent, received);
        Assert.Equal(reply, replied);
    }

    [Fact]
    public async Task WhenOneEndCloses_TheOtherReadsWhatWasSent_ThenTheEnd_AndItsWritesFail()
    {
        var (a, b) = InProcessConnection.CreatePair();
        await using var _ = b;
        await a.WriteAsync("last words"u8.ToArray());

        await a.DisposeAsync();

        Assert.Equal("last words"u8.ToArray(), await ReadExactlyAsync(b, 10));
        Assert.Equal(0, await b.ReadAtLeastAsync(new byte[16], 1, throwOnEndOfStream: false));
        await Assert.ThrowsAsync<IOException>(async () => await b.WriteAsync(new byte[1]));
        Assert.False(a.CanRead);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await a.ReadAtLeastAsync(new byte[1], 1));
    }

    [Fact]
    public async Task AReadWaitingOnAnEnd_ReturnsTheEnd_WhenThatEndIsClosed()
    {
        var (a, b) = InProcessConnection.CreatePair();
        await using var _ = b;
        var waiting = a.ReadAtLeastAsync(new byte[16], 1, throwOnEndOfStream: false).AsTask();
        Assert.False(waiting.IsCompleted);

        await a.DisposeAsync();

        Assert.Equal(0, await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await b.ReadAtLeastAsync(new byte[16], 1, throwOnEndOfStream: false));
    }

    [Fact]
    public async Task AWriteHeldBackByAReaderThatDoesNotRead_EndsWhenItsEndIsClosed()
    {
        var (a, b) = InProcessConnection.CreatePair();
        await using var _ = b;
        // Far more than the pipe holds: the write waits for room that never comes.
        var writing = a.WriteAsync(new byte[32 * 1024 * 1024]).AsTask();
        Assert.False(writing.IsCompleted);

        await a.DisposeAsync();

        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => writing.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }
}
