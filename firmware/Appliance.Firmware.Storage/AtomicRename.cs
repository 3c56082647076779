using System.Runtime.InteropServices;

namespace Appliance.Firmware.Storage;

/// <summary>
/// rename(2): replaces <c>to</c> with <c>from</c> in one step, whatever either is. .NET's File.Move
/// will not move a symbolic link that points at a folder (it takes the link for the folder).
/// </summary>
public static partial class AtomicRename
{
    public static void Replace(string from, string to)
    {
        if (Rename(from, to) != 0)
        {
            throw new IOException($"cannot rename {from} to {to} (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>
    /// Replaces the file at <paramref name="path"/> with <paramref name="content"/>: written beside it,
    /// flushed, renamed over it, and the folder flushed, so that after a power cut the file is the
    /// old one or the new one, whole, never empty.
    /// </summary>
    public static void ReplaceFile(string path, ReadOnlySpan<byte> content)
    {
        var next = path + ".next";
        using (var file = new FileStream(next, FileMode.Create, FileAccess.Write))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        Replace(next, path);
        DurableFolder.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string from, string to);
}
