using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Core;

/// <summary>Positive identification: staff ask, from the job's page, which appliance is armed for it.</summary>
public sealed partial class CaptureCoordinator
{
    public async Task<bool> IdentifyAsync(IdentifyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Only the appliance armed for this very job answers: the one staff must not use stays dark.
            if (State != CaptureState.Armed || _job?.JobId != request.JobId)
            {
                LogNotArmedFor(logger, request.JobId);
                return false;
            }

            indicator.Show(IndicatorState.Identify);
            await ReportAsync(ApplianceState.Identifying, request.JobId, null, cancellationToken);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(EventId = 1120, Level = LogLevel.Information, Message = "Asked to identify for job {JobId}, which is not the job armed here: nothing shown")]
    private static partial void LogNotArmedFor(ILogger logger, string jobId);
}
