using Appliance.Host.Core.Audit;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Jobs;

/// <summary>
/// Records that consent was withdrawn for a filed series (guidance Standard 1). The series is
/// marked everywhere it is shown and is refused for every teaching export from then on; it stays
/// in the patient's record for the care already given. Audited; a second withdrawal changes nothing.
/// </summary>
public sealed partial class ConsentWithdrawalService(ISeriesArchive archive, JobTracker tracker, IAuditTrail audit, TimeProvider time, ILogger<ConsentWithdrawalService> logger)
{
    /// <returns>The series as marked; null if no such series is filed.</returns>
    public async Task<FiledSeries?> WithdrawAsync(string seriesId, string actor, string? note, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var series = await archive.FindAsync(seriesId, cancellationToken);
        if (series is null)
        {
            return null;
        }

        if (series.ConsentWithdrawn is not null)
        {
            return series;
        }

        var withdrawal = new ConsentWithdrawal(time.GetUtcNow(), actor, string.IsNullOrWhiteSpace(note) ? null : note.Trim());
        if (!await archive.MarkConsentWithdrawnAsync(seriesId, withdrawal, cancellationToken))
        {
            return null;
        }

        await tracker.OnConsentWithdrawnAsync(series, withdrawal, cancellationToken);
        audit.Append(AuditKinds.ConsentWithdrawn, actor, seriesId, $"episode {series.EpisodeCode}");
        LogWithdrawn(logger, seriesId, series.EpisodeCode);
        return series with { ConsentWithdrawn = withdrawal };
    }

    [LoggerMessage(EventId = 5216, Level = LogLevel.Information, Message = "Consent withdrawn for series {SeriesId}, episode {EpisodeCode}: marked and kept out of teaching exports")]
    private static partial void LogWithdrawn(ILogger logger, string seriesId, string episodeCode);
}
