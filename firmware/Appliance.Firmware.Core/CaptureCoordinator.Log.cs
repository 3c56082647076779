using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Core;

// The capture state machine's log lines, apart from its logic.
public sealed partial class CaptureCoordinator
{
    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Armed for job {JobId} without a valid calibration (Calibration:AllowExpired): {Warning}")]
    private static partial void LogArmedUncalibrated(ILogger logger, string jobId, string warning);

    // No episode code in the appliance's logs: they go to a journal on the card that a wipe does not erase.
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Armed for job {JobId}")]
    private static partial void LogArmed(ILogger logger, string jobId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Refused to arm for job {JobId}: {Reason}")]
    private static partial void LogArmRefused(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Button press ignored in state {State}")]
    private static partial void LogPressIgnored(ILogger logger, CaptureState state);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Series {SeriesId} accepted for job {JobId}: capture {CaptureMs} ms, checks {CheckMs} ms, sealing {SealMs} ms, store {StoreMs} ms")]
    private static partial void LogAccepted(ILogger logger, string seriesId, string jobId, long captureMs, long checkMs, long sealMs, long storeMs);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Retake for job {JobId}: {Reasons} (retake {RetakeCount})")]
    private static partial void LogRetake(ILogger logger, string jobId, string reasons, int retakeCount);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Refused job {JobId}: {Reason}")]
    private static partial void LogJobRefused(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Job {JobId} cancelled on the appliance after {RetakeCount} retakes")]
    private static partial void LogCancelled(ILogger logger, string jobId, int retakeCount);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Capture fault: {Reason}")]
    private static partial void LogCaptureFault(ILogger logger, string reason);
}
