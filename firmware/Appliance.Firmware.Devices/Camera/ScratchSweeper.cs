using Appliance.Firmware.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Devices.Camera;

/// <summary>
/// At start, deletes camera frames a crash left in the scratch folders: they are plaintext,
/// and nothing will ever read them.
/// </summary>
public sealed partial class ScratchSweeper(WipePaths paths, ILogger<ScratchSweeper> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var folder in paths.ScratchFolders.Where(Directory.Exists))
        {
            foreach (var leftover in Directory.EnumerateFiles(folder, WipePaths.ScratchFramePattern))
            {
                File.Delete(leftover);
                LogSwept(logger, folder);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Deleted a camera frame left in {Folder} by an earlier crash")]
    private static partial void LogSwept(ILogger logger, string folder);
}
