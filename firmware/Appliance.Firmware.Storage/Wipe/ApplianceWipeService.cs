using Appliance.Firmware.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Storage.Wipe;

/// <summary>
/// Carries out a wipe once one is decided (a verified remote order or the dead-man lease):
/// waits briefly for the uplink to stop reading the store, crypto-erases, hands the signed
/// report to the uplink to send, and stops the firmware. It does not start again: with the
/// bundle gone and the marker written, the next start reports the wipe and exits.
/// A decided wipe is written down first (<see cref="PendingName"/>): if the power goes before
/// the keys are destroyed, the next start finishes it before anything else.
/// </summary>
public sealed partial class ApplianceWipeService(
    WipeSignal signal,
    IApplianceEraser eraser,
    WipePaths paths,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ApplianceWipeService> logger) : BackgroundService
{
    public const string PendingName = "WIPE-PENDING.json";
    private static readonly TimeSpan ParkWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReportWait = TimeSpan.FromSeconds(10);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the other services start: a wipe interrupted by a power cut is finished first.
        if (ReadPending() is { } interrupted)
        {
            LogResuming(logger, interrupted.Trigger, interrupted.OrderId);
            signal.Request(interrupted.Trigger, interrupted.OrderId);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var request = await signal.Requested.WaitAsync(stoppingToken);
        // From here nothing cancels: a wipe half done is worse than a slow shutdown.
        WritePending(request);
        await signal.UplinkParked.WaitAsync(ParkWait, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var report = await eraser.WipeAsync(request.Trigger, request.OrderId, CancellationToken.None);
        signal.Complete(report);
        if (request.Trigger == Protocol.WipeTrigger.Remote)
        {
            await signal.ReportSent.WaitAsync(ReportWait, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        LogStopping(logger, request.Trigger, signal.ReportSent.IsCompleted);
        lifetime.StopApplication();
    }

    private string PendingPath => Path.Combine(paths.DataFolder, PendingName);

    private void WritePending(WipeRequest request)
    {
        var temporary = PendingPath + ".tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            System.Text.Json.JsonSerializer.Serialize(file, request);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, PendingPath, overwrite: true);
    }

    private WipeRequest? ReadPending()
    {
        try
        {
            return File.Exists(PendingPath) ? System.Text.Json.JsonSerializer.Deserialize<WipeRequest>(File.ReadAllBytes(PendingPath)) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            // Torn by the power cut: the decision stands, the order id is lost.
            return new WipeRequest(Protocol.WipeTrigger.Remote, null);
        }
    }

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "A {Trigger} wipe (order {OrderId}) was interrupted: finishing it now")]
    private static partial void LogResuming(ILogger logger, Protocol.WipeTrigger trigger, string? orderId);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Wipe ({Trigger}) done, report delivered to the host: {ReportSent}; stopping the firmware")]
    private static partial void LogStopping(ILogger logger, Protocol.WipeTrigger trigger, bool reportSent);
}
