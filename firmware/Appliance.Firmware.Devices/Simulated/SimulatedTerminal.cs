using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Devices.Simulated;

/// <summary>Where a simulated appliance's keyboard is: the console, or a test's reader.</summary>
public sealed record TerminalInput(TextReader Reader, bool IsTerminal)
{
    /// <summary>The process's console; a terminal only when its input is not redirected (a service's input is empty, a test's is its own).</summary>
    public static TerminalInput Console() => new(System.Console.In, !System.Console.IsInputRedirected);
}

/// <summary>
/// A simulated appliance run in a terminal takes its presses from the keyboard: a line at a time
/// to the control panel (Enter presses the button). Only with a terminal attached.
/// </summary>
public sealed partial class SimulatedTerminal(SimulatedControlPanel panel, ILogger<SimulatedTerminal> logger, TerminalInput? input = null) : BackgroundService
{
    private readonly TerminalInput _input = input ?? TerminalInput.Console();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_input.IsTerminal)
        {
            return;
        }

        LogReady(logger, SimulatedControlPanel.Help);
        try
        {
            while (true)
            {
                // A terminal read cannot be cancelled: it is left to finish on its own thread, so
                // that stopping (a wipe, Ctrl+C) never waits for a key.
                var line = await Task.Run(_input.Reader.ReadLine, CancellationToken.None).WaitAsync(stoppingToken);
                if (line is null)
                {
                    return;
                }

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
