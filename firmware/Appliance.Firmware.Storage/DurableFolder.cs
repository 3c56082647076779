using System.Runtime.InteropServices;

namespace Appliance.Firmware.Storage;

/// <summary>A rename is durable only once its folder is flushed; .NET has no call for that.</summary>
public static partial class DurableFolder
{
    public static void Flush(string folder)
    {
        // O_RDONLY alone, which is 0 on every Linux architecture: O_DIRECTORY is not (0x10000 on
        // x64 is O_DIRECT on arm64, which a folder refuses with EINVAL, so every series stored on
        // a Pi failed; the arm64 end-to-end test found it). A folder opens read-only without it.
        const int ReadOnly = 0;
        var fd = Open(folder, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open {folder} to flush it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"cannot flush {folder} (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
