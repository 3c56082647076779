using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Appliance.Firmware;

/// <summary>
/// Feeds systemd's watchdog (<c>WatchdogSec=</c> in the unit) at half its interval, which
/// Microsoft.Extensions.Hosting.Systemd does not do by itself: a firmware whose thread pool is
/// starved or deadlocked stops feeding it and systemd restarts it. Does nothing outside systemd.
/// </summary>
public sealed class SystemdWatchdog(IServiceProvider services, TimeProvider time) : BackgroundService
{
    private static readonly ServiceState Ping = new("WATCHDOG=1");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var notifier = services.GetService(typeof(ISystemdNotifier)) as ISystemdNotifier;
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (notifier is not { IsEnabled: true } || !long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromTicks(microseconds * 10 / 2), time);
        try
        {
            do
            {
                notifier.Notify(Ping);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: systemd hears STOPPING=1 from the lifetime
        }
    }
}
