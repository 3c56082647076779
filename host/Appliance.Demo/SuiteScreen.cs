using Appliance.Firmware.Devices.Camera;
using Appliance.Firmware.Devices.Screen;
using Appliance.Firmware.Devices.Simulated;

namespace Appliance.Demo;

/// <summary>The simulated appliance's screen, seen from outside: what it shows, written as a picture.</summary>
public static class SuiteScreen
{
    /// <summary>The settings that give the simulated appliance its screen.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Enabled = new Dictionary<string, string?> { ["Screen:Enabled"] = "true" };

    /// <summary>
    /// Waits until the screen shows content that <paramref name="matches"/> (and, with a preview, a
    /// frame of it has reached the panel), then writes the panel's picture to <paramref name="path"/> as BMP.
    /// </summary>
    public static async Task<ScreenContent> SaveScreenAsync(this EmbeddedSuite suite, string path, Func<ScreenContent, bool> matches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(matches);
        var screen = suite.ApplianceService<ScreenService>();
        var shown = new TaskCompletionSource<ScreenContent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var frame = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnShown(ScreenContent c)
        {
            if (matches(c))
            {
                shown.TrySetResult(c);
            }
        }

        void OnFrame(PreviewShown _)
        {
            if (shown.Task.IsCompleted)
            {
                frame.TrySetResult();
            }
        }

        screen.Shown += OnShown;
        screen.PreviewFrameShown += OnFrame;
        try
        {
            OnShown(screen.Content);
            var content = await shown.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (content.Preview is not null)
            {
                await frame.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            var picture = suite.ApplianceService<SimulatedSpiDisplay>().Picture();
            await File.WriteAllBytesAsync(path, Bmp24.Encode(ScreenCanvas.Width, ScreenCanvas.Height, picture), cancellationToken);
            return content;
        }
        finally
        {
            screen.Shown -= OnShown;
            screen.PreviewFrameShown -= OnFrame;
        }
    }
}
