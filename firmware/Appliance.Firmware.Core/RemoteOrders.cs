using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>
/// The highest host-order counter this appliance has accepted, when it last heard from its host
/// (a lease or wipe order), and the highest command counter (capture jobs, calibration runs),
/// kept apart so a command and an order in flight at once cannot make either look replayed.
/// </summary>
public sealed record HostContact(long LastCounter, DateTimeOffset LastContactAt, long LastCommandCounter = 0);

/// <summary>
/// What survives a reboot about the host's orders: the counter (so a recorded order cannot be
/// played again) and the last contact (the dead-man lease counts from it). Written before the
/// order is acted on.
/// </summary>
public interface IHostOrderLedger
{
    HostContact Current { get; }

    /// <summary>Records an accepted order; refuses a counter that does not rise.</summary>
    void Accept(long counter, DateTimeOffset at);

    /// <summary>Records an accepted command (a capture job, a calibration run); refuses a counter that does not rise.</summary>
    void AcceptCommand(long counter);
}

/// <summary>Destroys the appliance's keys and store and returns the signed report.</summary>
public interface IApplianceEraser
{
    Task<WipeReport> WipeAsync(WipeTrigger trigger, string? orderId, CancellationToken cancellationToken);
}

/// <summary>A wipe the appliance has decided on, and why.</summary>
public sealed record WipeRequest(WipeTrigger Trigger, string? OrderId);

/// <summary>
/// The hand-offs of one wipe between whoever decides it (a verified order, the lease), the
/// uplink (which must stop reading the store, then send the report) and the service that
/// erases. Once requested, a wipe cannot be taken back.
/// </summary>
public sealed class WipeSignal
{
    private readonly TaskCompletionSource<WipeRequest> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _uplinkParked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<WipeReport> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _reportSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>False if a wipe was already requested (the first one stands).</summary>
    public bool Request(WipeTrigger trigger, string? orderId) => _requested.TrySetResult(new WipeRequest(trigger, orderId));

    public Task<WipeRequest> Requested => _requested.Task;

    /// <summary>The uplink has stopped uploading: the store may be closed.</summary>
    public void ParkUplink() => _uplinkParked.TrySetResult();

    public Task UplinkParked => _uplinkParked.Task;

    public void Complete(WipeReport report) => _report.TrySetResult(report);

    public Task<WipeReport> Report => _report.Task;

    /// <summary>The host has the report (its broker acknowledged it).</summary>
    public void MarkReportSent() => _reportSent.TrySetResult();

    public Task ReportSent => _reportSent.Task;
}
