using Appliance.Host.Core.Audit;

namespace Appliance.Host.Core.Filing;

/// <summary>Refused: the review cannot be recorded (no such series, no overview in it, no reason given).</summary>
public sealed class OverviewReviewRefusedException(string message) : Exception(message);

/// <summary>
/// Staff's review of a series' overview, as the guidance's Figure 3 asks: does it show a face, a
/// tattoo or another identifying feature? Kept with the series (the latest stands), audited
/// without the reason's words (staff type them; the audit names no patient), and read by the
/// teaching export, which leaves out any overview not confirmed free of them.
/// </summary>
public sealed class OverviewReviewService(ISeriesArchive archive, IAuditTrail audit, TimeProvider time)
{
    public async Task<OverviewReview> ReviewAsync(string seriesId, bool showsIdentifyingFeature, string? reason, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var series = await archive.FindAsync(seriesId, cancellationToken)
            ?? throw new OverviewReviewRefusedException($"no series {seriesId}");
        if (series.Overview is null)
        {
            throw new OverviewReviewRefusedException($"series {seriesId} has no overview");
        }

        var review = new OverviewReview(showsIdentifyingFeature, showsIdentifyingFeature ? reason?.Trim() : null, actor, time.GetUtcNow());
        if (review.Problem() is { } problem)
        {
            throw new OverviewReviewRefusedException(problem);
        }

        if (!await archive.RecordOverviewReviewAsync(seriesId, review, cancellationToken))
        {
            throw new OverviewReviewRefusedException($"no series {seriesId}");
        }

        audit.Append(AuditKinds.OverviewReviewed, actor, seriesId, showsIdentifyingFeature
            ? "shows an identifying feature: high risk, left out of teaching (reason kept with the series)"
            : "no face, tattoo or other identifying feature: medium risk");
        return review;
    }
}
