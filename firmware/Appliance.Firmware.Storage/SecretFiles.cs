using System.Security.Cryptography;
using Appliance.Protocol;

namespace Appliance.Firmware.Storage;

/// <summary>
/// Files that hold keys (the bundle, an enrolment package): never left whole in blocks the file
/// system has let go of. A replacement overwrites the old file's own blocks with random bytes
/// (flushed) before the new file takes its name; a destruction does the same before deleting.
/// A plain rename or delete would free the old blocks with the key still in them, readable on
/// the card by anyone with the raw device (KeyRemanenceTests reads a loop-mounted medium).
/// </summary>
public static class SecretFiles
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> owner-only and durably, and the previous content, if any, is overwritten first.</summary>
    public static void Replace(string path, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnlyFiles.FileMode,
        }))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        Overwrite(path);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Overwrites the file with random bytes, flushes, and deletes it; false if there was none.</summary>
    public static bool Destroy(string path)
    {
        if (!Overwrite(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>The file's own blocks overwritten with random bytes and flushed to the medium; false if there is no such file.</summary>
    private static bool Overwrite(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
        file.Write(RandomNumberGenerator.GetBytes((int)Math.Max(file.Length, 1)));
        file.Flush(flushToDisk: true);
        return true;
    }
}
