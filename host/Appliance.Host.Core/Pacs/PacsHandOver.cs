using Appliance.Host.Core.Filing;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Pacs;

/// <summary>Queues each filed series for the PACS before its receipt goes (when forwarding is on), and wakes the forwarder.</summary>
public sealed class PacsHandOver(IPacsQueue queue, IOptions<PacsOptions> options, TimeProvider time) : IFiledSeriesHandOver
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
}
