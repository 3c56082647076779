using System.Collections.Concurrent;
using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.TestKit;

/// <summary>The capture side as the host's commands reach it: records what it was asked.</summary>
public sealed class FakeCaptureCommands : ICaptureCommands
{
    public ConcurrentQueue<CaptureJob> Armed { get; } = new();

    public ConcurrentQueue<CalibrationRequest> Calibrations { get; } = new();

    public ConcurrentQueue<(string? JobId, string Reason)> Refused { get; } = new();

    public ConcurrentQueue<IdentifyRequest> Identified { get; } = new();

    public Task<bool> ArmAsync(CaptureJob job, CancellationToken cancellationToken)
    {
        Armed.Enqueue(job);
        return Task.FromResult(true);
    }

    public Task<bool> StartCalibrationAsync(CalibrationRequest request, CancellationToken cancellationToken)
    {
        Calibrations.Enqueue(request);
        return Task.FromResult(true);
    }

    public Task RefuseJobAsync(string? jobId, string reason, CancellationToken cancellationToken)
    {
        Refused.Enqueue((jobId, reason));
        return Task.CompletedTask;
    }

    public Task<bool> IdentifyAsync(IdentifyRequest request, CancellationToken cancellationToken)
    {
        Identified.Enqueue(request);
        return Task.FromResult(true);
    }
}
