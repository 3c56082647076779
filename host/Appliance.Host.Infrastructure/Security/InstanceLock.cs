using System.Runtime.InteropServices;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// An exclusive flock(2) on a file in the data folder, held while one host instance reads and
/// replaces something every instance on that folder shares (the audit head, a device's order
/// counter, a signing key ring). <see cref="Acquire"/> blocks in the kernel until the holder lets
/// go: holders keep it for one short read and write, which is why waiting here is synchronous.
/// Each acquisition opens the file afresh, so threads of one process exclude each other as
/// separate processes do. The file is opened with open(2), not a FileStream: .NET puts a
/// non-blocking lock of its own on every file it opens, which would refuse the next waiter
/// instead of letting it wait.
/// </summary>
public sealed partial class InstanceLock : IDisposable
{
    private const int ReadWrite = 0x2;
    private const int Create = 0x40;
    private const int CloseOnExec = 0x80000;
    private const int LockExclusive = 2;
    private const int Interrupted = 4;

    private readonly int _descriptor;

    private InstanceLock(int descriptor) => _descriptor = descriptor;

    public static InstanceLock Acquire(string lockPath)
    {
        var descriptor = Open(lockPath, ReadWrite | Create | CloseOnExec, 0b110_000_000);
        if (descriptor < 0)
        {
            throw new IOException($"cannot open {lockPath} (errno {Marshal.GetLastPInvokeError()})");
        }

        while (Flock(descriptor, LockExclusive) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                _ = Close(descriptor);
                throw new IOException($"cannot lock {lockPath} (errno {errno})");
            }
        }

        return new InstanceLock(descriptor);
    }

    /// <summary>Closing the descriptor lets the lock go.</summary>
    public void Dispose() => _ = Close(_descriptor);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int descriptor, int operation);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
