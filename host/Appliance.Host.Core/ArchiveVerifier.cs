using Appliance.Protocol;

namespace Appliance.Host.Core;

/// <summary>The result of reading an archive back: how much was checked, and the first problems found.</summary>
public sealed record ArchiveCheck(int Series, int Frames, IReadOnlyList<string> Problems)
{
    public bool Intact => Problems.Count == 0;
}

/// <summary>
/// Opens every series record (its seal and index fields) and reads every filed frame back
/// (decrypting it) against the digest the appliance sealed with it: the verification step after
/// a restore, and what an operator runs when the archive's disk may have been tampered with.
/// </summary>
public static class ArchiveVerifier
{
    public static async Task<ArchiveCheck> VerifyAsync(ISeriesArchive archive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var problems = new List<string>();
        var ids = await archive.ListSeriesIdsAsync(cancellationToken);
        var frames = 0;
        foreach (var id in ids)
        {
            FiledSeries? filed;
            try
            {
                // Opening the record checks its seal and that the fields it is found by say the same.
                filed = await archive.FindAsync(id, cancellationToken);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or InvalidDataException or System.Text.Json.JsonException)
            {
                problems.Add($"series {id}: {ex.Message}");
                continue;
            }

            foreach (var frame in filed?.Frames ?? [])
            {
                frames++;
                try
                {
                    var pixels = await archive.ReadFrameAsync(id, frame.Index, cancellationToken);
                    if (SeriesSealing.Sha256Hex(pixels) != frame.Sha256)
                    {
                        problems.Add($"series {id} frame {frame.Index}: digest does not match");
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or InvalidDataException)
                {
                    problems.Add($"series {id} frame {frame.Index}: {ex.Message}");
                }
            }
        }

        return new ArchiveCheck(ids.Count, frames, problems);
    }
}
