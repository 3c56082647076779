using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Devices.Simulated;

/// <summary>
/// A simulated appliance run in a terminal takes its presses from the keyboard: a line at a time
/// to the control panel (Enter presses the button). Only with a terminal attached: a service's
/// input is empty, and a test's is its own.
/// </summary>
public sealed partial class SimulatedTerminal(SimulatedControlPanel panel, ILogger<SimulatedTerminal> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Console.IsInputRedirected)
        {
            return;
        }

        LogReady(logger, SimulatedControlPanel.Help);
        try
        {
            while (await Console.In.ReadLineAsync(stoppingToken) is { } line)
            {
                var answer = await panel.RunAsync(line, stoppingToken);
                LogAnswer(logger, answer);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 1804, Level = LogLevel.Information, Message = "Simulated appliance at this terminal: {Help}")]
    private static partial void LogReady(ILogger logger, string help);

    [LoggerMessage(EventId = 1805, Level = LogLevel.Information, Message = "Simulated appliance: {Answer}")]
    private static partial void LogAnswer(ILogger logger, string answer);
}
