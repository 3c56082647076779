using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>Section <c>Lease</c>: the dead-man lease.</summary>
public sealed class LeaseOptions
{
    public const string Section = "Lease";

    /// <summary>
    /// An appliance that has not had a signed lease renewal (or any signed order) from its host
    /// for this long wipes itself: a lost or stolen appliance that never comes back online is
    /// still wiped. The host renews at every connection and every hour while connected.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Duration { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often the lease is looked at between deadlines.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Watches the last contact with the host and requests a wipe when the lease runs out. Counts
/// on the appliance's own clock, from the ledger on disk, so a reboot does not reset it.
/// </summary>
public sealed partial class DeadManLease(
    IHostOrderLedger ledger,
    WipeSignal wipe,
    IOptions<LeaseOptions> options,
    TimeProvider time,
    ILogger<DeadManLease> logger) : BackgroundService
{
    /// <summary>Raised after each look at the lease that did not end it, with the time left.</summary>
    public event EventHandler<TimeSpan>? Checked;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested && !wipe.Requested.IsCompleted)
        {
            var lastContact = ledger.Current.LastContactAt;
            var remaining = lastContact + o.Duration - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                LogExpired(logger, lastContact, o.Duration.TotalDays);
                wipe.Request(Protocol.WipeTrigger.Lease, null);
                return;
            }

            Checked?.Invoke(this, remaining);
            var wait = remaining < o.CheckInterval ? remaining : o.CheckInterval;
            _ = await Task.WhenAny(Task.Delay(wait, time, stoppingToken), wipe.Requested); // WhenAny does not throw
        }
    }

    [LoggerMessage(EventId = 7003, Level = LogLevel.Critical, Message = "Host not reached since {LastContact:O} ({LeaseDays} day lease): wiping this appliance")]
    private static partial void LogExpired(ILogger logger, DateTimeOffset lastContact, double leaseDays);
}
