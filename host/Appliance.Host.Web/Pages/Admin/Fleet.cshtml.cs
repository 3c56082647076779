using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Pacs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Admin;

/// <summary>
/// The fleet at a glance for IT admins, kept current by polling <c>?handler=State</c>, with the
/// actions on each appliance: wipe (the admin types the device id to confirm), revoke, rotate and
/// re-provision (the enrolment code is shown once, with the package to download). With a PACS,
/// how the deliveries to it stand, and the refused ones to queue again once their cause is dealt with.
/// </summary>
public sealed class FleetModel(
    FleetView fleet,
    DeviceOrderService orders,
    DeviceProvisioner provisioner,
    AdvertisedBroker broker,
    Core.Calibration.CalibrationRunService calibration,
    PacsDeliveries pacs,
    Core.Jobs.LostSeriesRecall recall,
    Core.Jobs.JobTracker tracker,
    TimeProvider time) : PageModel
{
    /// <summary>How many refused deliveries the page names; the rest are in <c>pacs status</c>.</summary>
    public const int RefusedShown = 20;

    public IReadOnlyList<FleetEntry> Entries { get; private set; } = [];

    /// <summary>The PACS deliveries at a glance; null when the host forwards to none.</summary>
    public PacsQueueSummary? Pacs { get; private set; }

    public string PacsWhere => pacs.Where;

    /// <summary>Jobs whose accepted series a wipe destroyed unfiled and whose patient is not yet recalled (named by episode: no patient here).</summary>
    public IReadOnlyList<Core.Jobs.JobProgress> LostInWipes { get; private set; } = [];

    /// <summary>Series accepted but not filed in time, by appliance and episode: the images are still on it.</summary>
    public IReadOnlyList<Core.Jobs.JobProgress> OverdueFilings { get; private set; } = [];

    /// <summary>What the last action did, or why it was refused.</summary>
    public string? Message { get; private set; }

    public bool MessageIsError { get; private set; }

    /// <summary>After a provisioning action: the code (shown once) and the package to download.</summary>
    public ProvisioningResult? Enrolment { get; private set; }

    public void OnGet() => Entries = fleet.List();

    /// <summary>The same list as JSON, for the page to refresh itself without a reload.</summary>
    public JsonResult OnGetState() => new(fleet.List().Select(e => FleetRow.From(e, time.GetUtcNow())));

    public DateTimeOffset Now => time.GetUtcNow();

    public IActionResult OnPostWipe(string deviceId, string confirmDeviceId)
    {
        if (deviceId != confirmDeviceId)
        {
            return Done($"Type the appliance id ({deviceId}) to confirm the wipe: it destroys every series it has not sent.", error: true);
        }

        var wipe = Try(() => orders.RequestWipe(deviceId, Actor));
        return wipe is null ? Page() : Done($"Wipe of {deviceId} issued (order {wipe.OrderId}). It is sent now if the appliance is online, or the moment it reconnects.");
    }

    /// <summary>Asks the appliance for a calibration run; its prompts then show in the state column.</summary>
    public async Task<IActionResult> OnPostCalibrateAsync(string deviceId, CancellationToken cancellationToken)
    {
        try
        {
            var run = await calibration.RequestAsync(deviceId, Actor, cancellationToken);
            return Done($"Calibration of {deviceId} requested (run {run.RunId}): at the appliance, place the white card and press capture, then the target and press again. The new profile appears here when it is accepted.");
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return Done(ex.Message, error: true);
        }
    }

    /// <summary>Queues a series the PACS refused again, once the admin has dealt with why.</summary>
    public async Task<IActionResult> OnPostPacsRetryAsync(string seriesId, CancellationToken cancellationToken) =>
        await pacs.RetryAsync(seriesId, Actor, cancellationToken)
            ? Done($"Series {seriesId} queued again for the PACS; it is sent within moments if the PACS now takes it.")
            : Done($"Series {seriesId} is not refused by the PACS: nothing to retry.", error: true);

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var executed = await next();
        // Whatever the handler did, the page shows the queue as it now stands.
        if (executed.Result is null or PageResult)
        {
            Pacs = await pacs.SummarizeAsync(RefusedShown, HttpContext.RequestAborted);
            LostInWipes = await recall.ListToRecallAsync(null, HttpContext.RequestAborted);
            OverdueFilings = await tracker.ListStandingAtAsync(Core.Jobs.JobStates.FilingOverdue, null, HttpContext.RequestAborted);
        }
    }

    public IActionResult OnPostRevoke(string deviceId, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return Done("Give a reason for the revocation (it goes into the audit trail).", error: true);
        }

        var count = Try(() => (int?)provisioner.Revoke(deviceId, $"{reason.Trim()} (by {Actor})"));
        return count is null ? Page() : Done($"Revoked {count} certificates of {deviceId}; the broker refuses it from its next connection.");
    }

    public IActionResult OnPostProvision(string deviceId, ProvisioningKind kind)
    {
        var result = Try(() => provisioner.ProvisionForEnrolment(deviceId?.Trim() ?? string.Empty, kind, broker.Host, broker.Port, broker.Alternates));
        if (result is null)
        {
            return Page();
        }

        Enrolment = result;
        return Done($"{kind} {result.DeviceId}: download the enrolment package and give the appliance the code below. The code is not stored and will not be shown again.");
    }

    /// <summary>The package as a download, built in the page (it is never written on the host).</summary>
    public string PackageDownload(ProvisioningResult result) =>
        "data:application/json;base64," + Convert.ToBase64String(ProtocolJson.Serialize(result.Package));

    private string Actor => User.Identity?.Name ?? "admin";

    private T? Try<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            Done(ex.Message, error: true);
            return default;
        }
    }

    private PageResult Done(string message, bool error = false)
    {
        Message = message;
        MessageIsError = error;
        Entries = fleet.List();
        return Page();
    }
}

/// <summary>One appliance as the page's script shows it.</summary>
public sealed record FleetRow(string DeviceId, bool Online, string State, string? LastSeen, string? Firmware, int? Queue, string? Calibrated, string? Checked, string? StateDetail, bool Revoked, string? Wipe, string Pending, string Support, bool Unsupported, string? Target = null, string? Update = null, bool UpdateFailed = false)
{
    public static FleetRow From(FleetEntry e, DateTimeOffset now) => new(
        e.DeviceId,
        e.Online,
        e.State,
        Format(e.LastSeen),
        e.FirmwareVersion,
        e.QueueDepth,
        e.CalibratedAt is { } calibrated
            ? $"{(int)(now - calibrated).TotalDays} days ago ({calibrated.UtcDateTime:yyyy-MM-dd}){(e.CalibrationDeltaE is { } de ? $", ΔE00 {de:F2}" : string.Empty)}"
            : "not calibrated",
        Format(e.IntegrityCheckedAt),
        e.StateDetail,
        e.Revoked,
        e.Wipe is null ? null : e.Wipe.State.ToString().ToLowerInvariant(),
        string.Join(", ", e.PendingCommands),
        e.Support?.Describe() ?? "-",
        e.Support is { } s && (s.Ended || !s.Known),
        e.Update?.TargetVersion,
        e.Update is { } u ? DescribeUpdate(u) : null,
        e.Update?.State is "refused" or "rolled-back");

    /// <summary>Where the update stands, in the words staff read: "downloading 40%", "rolled back: 2.0.0 did not connect…".</summary>
    private static string DescribeUpdate(FleetUpdate update)
    {
        var state = update.State.Replace('-', ' ');
        if (update is { State: "downloading", ChunksHeld: { } held, ChunkCount: > 0 and var count })
        {
            state += $" {held * 100 / count}%";
        }

        return update.Reason is { } reason && update.State is "refused" or "rolled-back" or "waiting" ? $"{state}: {reason}" : state;
    }

    public static string? Format(DateTimeOffset? at) =>
        at is { } value ? value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : null;
}
