
namespace Appliance.Firmware.Storage;

/// <summary>
/// The sealed frames of each stored series, one file per series, holding nothing but frames
/// sealed to the host (nonce, ciphertext, tag): there is nothing in them the appliance could
/// open. A file is written under a temporary name, flushed to disk, renamed into place and the
/// folder flushed, so a file under its final name is always whole, even after a power cut.
/// </summary>
internal sealed class SealedFrameFiles
{
    private const string Extension = ".sealed";
    private const string PartialExtension = ".partial";
    private readonly string _folder;

    public SealedFrameFiles(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Write(string seriesId, IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        var final = PathOf(seriesId);
        var partial = final + PartialExtension;
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0, // the parts are megabytes each; a buffer would only add a copy
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            PreallocationSize = parts.Sum(p => (long)p.Length), // a full disk fails here, before anything is written
        };
        try
        {
            using (var file = new FileStream(partial, options))
            {
                foreach (var part in parts)
                {
                    file.Write(part.Span);
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(partial, final, overwrite: true);
            DurableFolder.Flush(_folder);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>Reads a whole file into <paramref name="target"/>; false if it is missing or not that long.</summary>
    public bool TryRead(string seriesId, Span<byte> target)
    {
        try
        {
            using var file = new FileStream(PathOf(seriesId), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            if (file.Length != target.Length)
            {
                return false;
            }

            file.ReadExactly(target);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>A read handle on a series' frames file; null if there is none.</summary>
    public Microsoft.Win32.SafeHandles.SafeFileHandle? OpenRead(string seriesId)
    {
        try
        {
            return File.OpenHandle(PathOf(seriesId), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public bool Exists(string seriesId) => File.Exists(PathOf(seriesId));

    public void Delete(string seriesId) => File.Delete(PathOf(seriesId));

    /// <summary>Series ids with a whole file; removes what an interrupted write left behind.</summary>
    public IReadOnlyList<string> ListAndSweepPartials()
    {
        foreach (var partial in Directory.EnumerateFiles(_folder, "*" + PartialExtension))
        {
            File.Delete(partial);
        }

        return [.. Directory.EnumerateFiles(_folder, "*" + Extension).Select(f => Path.GetFileNameWithoutExtension(f))];
    }

    private string PathOf(string seriesId)
    {
        // Series ids are GUIDs made on this appliance; anything else must not become a path.
        if (!Guid.TryParseExact(seriesId, "D", out _))
        {
            throw new ArgumentException($"'{seriesId}' is not a series id", nameof(seriesId));
        }

        return Path.Combine(_folder, seriesId + Extension);
    }
}
