using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Core;

/// <summary>
/// Takes the two frames of a series: cross-polarised first, then non-polarised, each under its
/// own ring only. Whatever happens (fault, cancellation, a camera that hangs) both rings are off
/// when this returns or throws.
/// </summary>
public sealed class CaptureSequencer(ICamera camera, IIlluminator illuminator, FrameBufferPool pool, TimeProvider time, IOptions<CaptureOptions> options, IPreviewSuspension? preview = null)
{
    public static readonly IReadOnlyList<LightingMode> Order = [LightingMode.CrossPolarised, LightingMode.NonPolarised];

    /// <summary>The series, which the caller disposes to give its pixels back; on a fault or a cancellation, nothing is kept.</summary>
    public async Task<CapturedSeries> CaptureSeriesAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var settings = o.ToCameraSettings();
        var frames = new List<CapturedFrame>(Order.Count);
        // The preview lets go of the camera and its ring before this lights one.
        using var suspended = await (preview ?? NoPreview.Instance).SuspendAsync(cancellationToken);
        try
        {
            foreach (var lighting in Order)
            {
                // A stop that has begun lights nothing more.
                cancellationToken.ThrowIfCancellationRequested();
                illuminator.Light(lighting);
                await Task.Delay(o.RingSettleTime, time, cancellationToken);
                var remaining = o.MaxRingOnTime - o.RingSettleTime;
                try
                {
                    frames.Add(await camera.CaptureAsync(lighting, settings, cancellationToken).WaitAsync(remaining, time, cancellationToken));
                }
                catch (TimeoutException ex)
                {
                    throw new CaptureFaultException($"camera took longer than the {o.MaxRingOnTime.TotalMilliseconds} ms ring limit", ex);
                }
                finally
                {
                    illuminator.AllOff();
                }
            }

            return new CapturedSeries(frames, pool);
        }
        catch
        {
            new CapturedSeries(frames, pool).Dispose(); // the frames taken before the fault
            throw;
        }
        finally
        {
            illuminator.AllOff();
        }
    }
}

/// <summary>The hardware failed to deliver a frame; staff see "fault" and may try again.</summary>
public sealed class CaptureFaultException(string message, Exception? inner = null) : Exception(message, inner);
