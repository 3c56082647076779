using System.Runtime.CompilerServices;
using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Screen;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Simulated;

/// <summary>
/// The simulated cameras' preview: each frame rendered from the scene as it is at that moment
/// (the dermoscopic camera under the cross-polarised ring, or the overview camera), so the
/// preview follows whatever the simulated hand does. One buffer, reused and cleared at the end.
/// </summary>
public sealed class SimulatedPreviewSource(SimulatedCamera dermoscopic, SimulatedOverviewCamera overview, TimeProvider time) : IPreviewSource
{
    public async IAsyncEnumerable<PreviewFrame> StreamAsync(PreviewCamera camera, int width, int height, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[width * height * 3];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Yield();
                if (camera == PreviewCamera.Overview)
                {
                    SimulatedOverviewCamera.Render(overview.Scene, width, height, moved: false, buffer);
                }
                else
                {
                    SimulatedCamera.Render(dermoscopic.Scene, LightingMode.CrossPolarised, width, height, applyMotion: false, buffer);
                }

                yield return new PreviewFrame(buffer, width, height, time.GetTimestamp());
            }
        }
        finally
        {
            Array.Clear(buffer);
        }
    }
}
