using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Core;

/// <summary>Feeds debounced button presses to the capture state machine, one at a time: short to capture, long to cancel.</summary>
public sealed class CaptureWorker(
    ITriggerButton button,
    CaptureCoordinator coordinator,
    IIlluminator illuminator,
    IStatusIndicator indicator,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenRegistration _onStopping;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Rings are off at start, whatever state a previous process left the pins in.
        illuminator.AllOff();
        indicator.Show(IndicatorState.Idle);
        // Off the moment the host begins to stop, not when this worker's turn comes: hosted services
        // stop one after another, and one stopping ahead of this (the uplink waiting on a slow
        // broker) must not keep a ring lit on skin. The capture under way is cancelled first, so it
        // cannot light the next ring after this.
        _onStopping = lifetime.ApplicationStopping.Register(() =>
        {
            _stopping.Cancel();
            illuminator.AllOff();
        });
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _stopping.Token);
        await foreach (var press in button.Presses.ReadAllAsync(stopping.Token))
        {
            if (press.Kind == PressKind.Hold)
            {
                await coordinator.CancelAsync(stopping.Token);
            }
            else
            {
                await coordinator.HandlePressAsync(press, stopping.Token);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        illuminator.AllOff();
    }

    public override void Dispose()
    {
        _onStopping.Dispose();
        _stopping.Dispose();
        base.Dispose();
    }
}
