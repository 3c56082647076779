using System.Runtime.InteropServices;

namespace Appliance.Protocol;

/// <summary>
/// Everything appliance and host write (keys, bundles, stores, sealed frames, the archive, session
/// keys) is for the service's own user alone. Both sides share this, which is why it sits with the
/// protocol: it is a rule of the system, not of one program.
/// </summary>
public static partial class OwnerOnlyFiles
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Sets this process's file-creation mask to 077, so that files made by libraries we cannot
    /// pass a mode to (LiteDB's database, data protection's key ring) are owner-only from their
    /// first byte, whatever umask the process was started with (an admin's shell says 022).
    /// </summary>
    public static void RestrictNewFiles()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = SetUmask(0b000_111_111);
        }
    }

    /// <summary>Creates the folder (and its parents) owner-only, or tightens it if it already exists.</summary>
    public static string CreateFolder(string path)
    {
        var info = Directory.CreateDirectory(path, FolderMode);
        if ((info.UnixFileMode & GroupOrOther) != 0)
        {
            info.UnixFileMode = FolderMode;
        }

        return info.FullName;
    }

    /// <summary>
    /// Takes group and other access away from everything under <paramref name="folder"/> (and the
    /// folder itself): data written by an older version, or restored by a tool that kept no modes.
    /// Returns how many entries changed. Symbolic links are not followed.
    /// </summary>
    public static int Tighten(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var changed = TightenOne(new DirectoryInfo(folder)) ? 1 : 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options))
        {
            changed += TightenOne(entry) ? 1 : 0;
        }

        return changed;
    }

    /// <summary>Everything under <paramref name="folder"/> that someone other than the owner can read, write or enter.</summary>
    public static IReadOnlyList<string> ReachableByOthers(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        return [.. new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options)
            .Prepend(new DirectoryInfo(folder))
            .Where(e => (e.UnixFileMode & GroupOrOther) != 0)
            .Select(e => $"{e.FullName} {Convert.ToString((int)e.UnixFileMode, 8)}")];
    }

    private static bool TightenOne(FileSystemInfo entry)
    {
        if ((entry.UnixFileMode & GroupOrOther) == 0)
        {
            return false;
        }

        entry.UnixFileMode &= ~GroupOrOther;
        return true;
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint SetUmask(uint mask);
}
