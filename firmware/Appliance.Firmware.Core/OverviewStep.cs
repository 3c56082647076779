using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>An accepted overview, held in memory until the dermoscopic pair joins it in a sealed series; disposing it clears its pixels.</summary>
public sealed class HeldOverview(CapturedSeries frame, CameraSettings settings, QualityReport quality, OverviewAim aim) : IDisposable
{
    public CapturedFrame Frame => frame.Frames[0];

    public CameraSettings Settings { get; } = settings;

    public QualityReport Quality { get; } = quality;

    public OverviewAim Aim { get; } = aim;

    public void Dispose() => frame.Dispose();
}

/// <summary>
/// The overview step of a job: a burst of two frames from the overview camera
/// <see cref="OverviewOptions.BurstInterval"/> apart, judged by the <see cref="OverviewQualityChecker"/>;
/// the first is kept when they pass, and nothing is kept when they do not. No ring is lit.
/// </summary>
public sealed class OverviewStep(IOverviewCamera camera, OverviewQualityChecker checker, FrameBufferPool pool, TimeProvider time, IOptions<OverviewOptions> options, IPreviewSuspension? preview = null)
{
    public CameraSettings Settings => options.Value.ToCameraSettings();

    /// <summary>Plaintext bytes the kept overview takes, for the room check before arming.</summary>
    public long FrameBytes => (long)options.Value.Width * options.Value.Height * 3;

    public async Task<(HeldOverview? Held, QualityReport Report)> TakeAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var settings = Settings;
        var burst = new List<CapturedFrame>(2);
        using (await (preview ?? NoPreview.Instance).SuspendAsync(cancellationToken))
        {
            try
            {
                burst.Add(await CaptureAsync(settings, o.CaptureTimeout, cancellationToken));
                await Task.Delay(o.BurstInterval, time, cancellationToken);
                burst.Add(await CaptureAsync(settings, o.CaptureTimeout, cancellationToken));
            }
            catch
            {
                new CapturedSeries(burst, pool).Dispose();
                throw;
            }
        }

        var report = checker.Check(burst);
        pool.Return(burst[1].Pixels); // only the first is kept: the second was there to measure the hand's movement
        var kept = new CapturedSeries([burst[0]], pool);
        if (report.Accepted)
        {
            return (new HeldOverview(kept, settings, report, OverviewAiming.Aim(o)), report);
        }

        kept.Dispose();
        return (null, report);
    }

    private async Task<CapturedFrame> CaptureAsync(CameraSettings settings, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await camera.CaptureAsync(settings, cancellationToken).WaitAsync(timeout, time, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new CaptureFaultException($"the overview camera took longer than {timeout.TotalMilliseconds} ms", ex);
        }
    }
}
