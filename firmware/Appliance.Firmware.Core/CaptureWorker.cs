using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Core;

/// <summary>Feeds debounced button presses to the capture state machine, one at a time: short to capture, long to cancel.</summary>
public sealed class CaptureWorker(ITriggerButton button, CaptureCoordinator coordinator, IIlluminator illuminator, IStatusIndicator indicator) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Rings are off at start, whatever state a previous process left the pins in.
        illuminator.AllOff();
        indicator.Show(IndicatorState.Idle);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var press in button.Presses.ReadAllAsync(stoppingToken))
        {
            if (press.Kind == PressKind.Hold)
            {
                await coordinator.CancelAsync(stoppingToken);
            }
            else
            {
                await coordinator.HandlePressAsync(press, stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        illuminator.AllOff();
    }
}
