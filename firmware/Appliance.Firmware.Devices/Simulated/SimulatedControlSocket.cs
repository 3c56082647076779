using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Devices.Simulated;

/// <summary>
/// A simulated appliance's control socket: a Unix socket in its data folder, owner-only, that takes
/// the control panel's commands a line at a time and answers each with a line. For tests and for
/// an appliance run where no terminal is attached (under emulation, say); a real appliance has none.
/// </summary>
/// <param name="path">The socket's path (<see cref="DevicesOptions.ControlSocket"/>).</param>
public sealed partial class SimulatedControlSocket(
    string path,
    SimulatedControlPanel panel,
    ILogger<SimulatedControlSocket> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(path); // one left by a process that was killed
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // Only the service user may press this appliance's button.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(4);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            // No such folder, or a path too long for a Unix socket: the appliance runs on without it.
            LogUnavailable(logger, path, ex.Message);
            return;
        }

        LogListening(logger, path);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var connection = await listener.AcceptAsync(stoppingToken);
                _ = ServeAsync(connection, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task ServeAsync(Socket connection, CancellationToken stoppingToken)
    {
        await using var stream = new NetworkStream(connection, ownsSocket: true);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        try
        {
            while (await reader.ReadLineAsync(stoppingToken) is { } line)
            {
                var answer = await panel.RunAsync(line, stoppingToken);
                var command = line.Trim();
                LogCommand(logger, command, answer);
                await writer.WriteLineAsync(answer);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The other end went away, or the appliance is stopping.
        }
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Simulated appliance: control socket at {Path}")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Error, Message = "Simulated appliance: no control socket at {Path}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Information, Message = "Simulated appliance: '{Command}' {Answer}")]
    private static partial void LogCommand(ILogger logger, string command, string answer);
}
