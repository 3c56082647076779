using System.CommandLine;
using System.Text.Json;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Pacs;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>pacs status</c> lists where each filed series stands on its way to the PACS;
/// <c>pacs retry SERIES</c> queues a refused one again once the admin has dealt with the refusal.
/// Both work while the host runs: the queue is shared, and the host picks a retried series up at
/// its next look (<c>Pacs:CheckInterval</c>).
/// </summary>
public static class PacsCommands
{
    public static Command Pacs()
    {
        var statusJson = AdminCommand.JsonOption();
        var status = new Command("status", "Where each filed series stands on its way to the PACS: queued (with attempts), sent, or refused.") { statusJson };
        status.TreatUnmatchedTokensAsErrors = false;
        status.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var deliveries = await app.Services.GetRequiredService<IPacsQueue>().ListAsync(cancellationToken);
            if (parseResult.GetValue(statusJson))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(
                    deliveries.Select(d => new { d.SeriesId, State = d.State.ToString(), d.Attempts, d.QueuedAt, d.NextAttemptAt, d.LastError, d.SentAt, d.Instances }),
                    AdminCommand.Json));
                return 0;
            }

            foreach (var d in deliveries)
            {
                await Console.Out.WriteLineAsync(d.State switch
                {
                    PacsDeliveryState.Sent => $"{d.SeriesId}  sent {d.SentAt:yyyy-MM-dd HH:mm:ss}Z, {d.Instances} instances",
                    PacsDeliveryState.Refused => $"{d.SeriesId}  REFUSED after {d.Attempts} attempts: {d.LastError}",
                    _ => $"{d.SeriesId}  queued, {d.Attempts} attempts{(d.LastError is null ? string.Empty : $", last: {d.LastError}")}, next {d.NextAttemptAt:yyyy-MM-dd HH:mm:ss}Z",
                });
            }

            await Console.Out.WriteLineAsync($"{deliveries.Count(d => d.State == PacsDeliveryState.Sent)} sent, {deliveries.Count(d => d.State == PacsDeliveryState.Queued)} queued, {deliveries.Count(d => d.State == PacsDeliveryState.Refused)} refused.");
            return 0;
        });

        var series = new Argument<string>("series") { Description = "The refused series' id (from pacs status)." };
        var retryJson = AdminCommand.JsonOption();
        var requestedBy = new Option<string>("--requested-by") { Description = "Who asks, for the audit trail.", DefaultValueFactory = _ => Environment.UserName };
        var retry = new Command("retry", "Queue a series the PACS refused again, once what it refused has been dealt with.") { series, requestedBy, retryJson };
        retry.TreatUnmatchedTokensAsErrors = false;
        retry.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var id = parseResult.GetRequiredValue(series);
            var queued = await app.Services.GetRequiredService<PacsDeliveries>().RetryAsync(id, parseResult.GetRequiredValue(requestedBy), cancellationToken);

            await Console.Out.WriteLineAsync(parseResult.GetValue(retryJson)
                ? JsonSerializer.Serialize(new { seriesId = id, queued }, AdminCommand.Json)
                : queued ? $"Series {id} queued again for the PACS." : $"Series {id} is not refused by the PACS (see pacs status): nothing to retry.");
            return queued ? 0 : 2;
        });

        return new Command("pacs", "Forwarding filed series to the trust's PACS (Pacs:DicomWebUrl).") { status, retry };
    }
}
