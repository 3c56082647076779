using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Pacs;

/// <summary>
/// Queues each filed series for the PACS before its receipt goes (when forwarding is on), and a
/// refused one again at an admin's word, and wakes the forwarder.
/// </summary>
public sealed class PacsHandOver(IPacsQueue queue, IAuditTrail audit, IOptions<PacsOptions> options, TimeProvider time) : IFiledSeriesHandOver
{
    /// <summary>Raised once a series is in the queue.</summary>
    public event EventHandler<string>? Queued;

    public async Task HandOverAsync(FiledSeries series, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (!options.Value.Enabled)
        {
            return;
        }

        await queue.EnqueueAsync([series.SeriesId], time.GetUtcNow(), cancellationToken);
        Queued?.Invoke(this, series.SeriesId);
    }

    /// <summary>Queues a series the PACS refused again (its cause dealt with), audited with who asked; false if it is not refused.</summary>
    public async Task<bool> RetryAsync(string seriesId, string requestedBy, CancellationToken cancellationToken)
    {
        if (!await queue.RetryAsync(seriesId, time.GetUtcNow(), cancellationToken))
        {
            return false;
        }

        audit.Append(AuditKinds.PacsRetried, requestedBy, seriesId, "queued again for the PACS");
        Queued?.Invoke(this, seriesId);
        return true;
    }
}
