using Appliance.Protocol;

namespace Appliance.Host.Core;

/// <summary>The result of reading an archive back: how much was checked, and the first problems found.</summary>
public sealed record ArchiveCheck(int Series, int Frames, IReadOnlyList<string> Problems)
{
    public bool Intact => Problems.Count == 0;
}

/// <summary>
/// Reads every filed frame back (decrypting it) and compares it with the digest the appliance
/// sealed with it: the verification step after a restore.
/// </summary>
public static class ArchiveVerifier
{
    public static async Task<ArchiveCheck> VerifyAsync(ISeriesArchive archive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var problems = new List<string>();
        var series = await archive.ListRecentAsync(int.MaxValue, cancellationToken);
        var frames = 0;
        foreach (var filed in series)
        {
            foreach (var frame in filed.Frames)
            {
                frames++;
                try
                {
                    var pixels = await archive.ReadFrameAsync(filed.SeriesId, frame.Index, cancellationToken);
                    if (SeriesSealing.Sha256Hex(pixels) != frame.Sha256)
                    {
                        problems.Add($"series {filed.SeriesId} frame {frame.Index}: digest does not match");
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or InvalidDataException)
                {
                    problems.Add($"series {filed.SeriesId} frame {frame.Index}: {ex.Message}");
                }
            }
        }

        return new ArchiveCheck(series.Count, frames, problems);
    }
}
