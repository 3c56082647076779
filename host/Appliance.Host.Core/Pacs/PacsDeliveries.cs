using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Pacs;

/// <summary>How the deliveries to the PACS stand, and an admin's retry, for the fleet page and the command line.</summary>
public sealed class PacsDeliveries(IPacsQueue queue, IPacs pacs, PacsHandOver handOver, IOptions<PacsOptions> options)
{
    /// <summary>Where the PACS is, for people (no credentials).</summary>
    public string Where => pacs.Describe();

    /// <summary>The queue at a glance; null when the host forwards to no PACS.</summary>
    public async Task<PacsQueueSummary?> SummarizeAsync(int maxRefused, CancellationToken cancellationToken) =>
        options.Value.Enabled ? await queue.SummarizeAsync(maxRefused, cancellationToken) : null;

    /// <summary>Queues a series the PACS refused again, audited with who asked; false if it is not refused.</summary>
    public Task<bool> RetryAsync(string seriesId, string requestedBy, CancellationToken cancellationToken) =>
        handOver.RetryAsync(seriesId, requestedBy, cancellationToken);
}
