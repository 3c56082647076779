using System.Security.Cryptography;
using Appliance.Host.Core;
using Appliance.Protocol;
using NSec.Cryptography;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// The archive's frame files: <c>frames/yyyy/MM/{series}.{filing}/{index}.frame</c> under the
/// archive folder (a folder per filing, so two filings of one series never share a file), each
/// sealed under its series' key with the series, index and digest bound in, written to a
/// temporary name, flushed to disk and renamed. The records that point at them are the archive
/// database's business.
/// </summary>
internal sealed class ArchiveFrameFiles(string root)
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Seals and writes each frame of <paramref name="series"/>, taking it from
    /// <paramref name="frames"/> and clearing it once sealed; returns the frames with where each
    /// is stored. One frame is written and flushed while the next is opened and sealed, so the disk
    /// and the processor work at once and at most two frames are in memory. If anything fails (a
    /// refused frame, a full disk, a cancellation) the series' folder is removed and it rethrows.
    /// </summary>
    public async Task<List<FiledFrame>> WriteAsync(FiledSeries series, Key seriesKey, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken)
    {
        var filing = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var folder = Path.Combine(root, "frames", series.FiledAt.ToString("yyyy"), series.FiledAt.ToString("MM"), $"{series.SeriesId}.{filing}");
        Directory.CreateDirectory(folder, OwnerOnlyFolder);
        var stored = new List<FiledFrame>(series.Frames.Count);
        Task writing = Task.CompletedTask;
        try
        {
            foreach (var frame in series.Frames)
            {
                var path = Path.Combine(folder, $"{frame.Index}.frame");
                var plaintext = await frames(frame.Index, cancellationToken);
                byte[] sealedFrame;
                try
                {
                    sealedFrame = ArchiveKeys.Seal(seriesKey, plaintext, ArchiveKeys.FrameAssociatedData(series.SeriesId, frame));
                }
                finally
                {
                    Array.Clear(plaintext);
                }

                await writing;
                writing = Task.Run(() => WriteDurablyAsync(path, sealedFrame, cancellationToken), cancellationToken);
                stored.Add(frame with { StoredAs = Path.GetRelativePath(root, path) });
            }

            await writing;
            return stored;
        }
        catch
        {
            // No record points at these yet: nothing is left behind.
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>Removes the folder of frames a filing wrote (its record was not kept, or the frames were released); gone already is fine.</summary>
    public void Delete(IReadOnlyList<FiledFrame> stored)
    {
        if (stored.Count > 0 && Path.GetDirectoryName(Path.Combine(root, stored[0].StoredAs)) is { } folder && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Reads and opens one stored frame and checks it against its digest.</summary>
    public async Task<byte[]> ReadAsync(string seriesId, FiledFrame frame, Key seriesKey, CancellationToken cancellationToken)
    {
        var sealedFrame = await File.ReadAllBytesAsync(Path.Combine(root, frame.StoredAs), cancellationToken);
        var plaintext = ArchiveKeys.Open(seriesKey, sealedFrame, ArchiveKeys.FrameAssociatedData(seriesId, frame))
            ?? throw new CryptographicException($"frame {frame.Index} of series {seriesId} fails authentication");
        return SeriesSealing.Sha256Hex(plaintext) == frame.Sha256
            ? plaintext
            : throw new CryptographicException($"frame {frame.Index} of series {seriesId} does not match its digest");
    }

    private static async Task WriteDurablyAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await stream.WriteAsync(content, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
