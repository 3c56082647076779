using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Devices.Integrity;

/// <summary>
/// Runs the operating-system checks at start (before anything can arm) and every
/// <see cref="IntegrityOptions.Interval"/>, logs each change and tells the host: status
/// <c>unsafe</c> with the problems, or <c>online</c> again once they are gone.
/// </summary>
public sealed partial class OsIntegrityMonitor(
    IOptions<IntegrityOptions> options,
    WipePaths paths,
    StatusFeed statusFeed,
    ISeriesStore store,
    ApplianceIdentity identity,
    TimeProvider time,
    ILogger<OsIntegrityMonitor> logger) : BackgroundService, ISystemIntegrity
{
    private volatile IReadOnlyList<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public bool Enforced => !options.Value.WarnOnly;

    public DateTimeOffset? CheckedAt { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The data folder is this service's alone; tighten it before it is checked.
        if (Directory.Exists(paths.DataFolder))
        {
            File.SetUnixFileMode(paths.DataFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await RunAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RunAsync(stoppingToken);
        }
    }

    /// <summary>Checks now; public so that a test (or a command) need not wait for the timer.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var found = new OsIntegrityChecks(options.Value, paths.DataFolder).Check(time.GetUtcNow());
        CheckedAt = time.GetUtcNow();
        var before = _problems;
        _problems = found;
        if (found.SequenceEqual(before))
        {
            return;
        }

        var summary = string.Join("; ", found);
        if (found.Count == 0)
        {
            LogCleared(logger);
        }
        else if (Enforced)
        {
            LogUnsafe(logger, summary);
        }
        else
        {
            LogUnsafeWarnOnly(logger, summary);
        }

        var queued = await store.CountAsync(cancellationToken);
        statusFeed.Publish(new ApplianceStatus(
            identity.DeviceId, found.Count == 0 ? ApplianceState.Online : ApplianceState.Unsafe, identity.FirmwareVersion, queued, time.GetUtcNow(), null, found.Count == 0 ? null : Truncate(summary),
            IntegrityCheckedAt: CheckedAt));
    }

    /// <summary>The status reason travels in a bounded field.</summary>
    private static string Truncate(string text) => text.Length <= 500 ? text : text[..497] + "...";

    [LoggerMessage(EventId = 7201, Level = LogLevel.Error, Message = "Unsafe for patient data, will not arm: {Problems}")]
    private static partial void LogUnsafe(ILogger logger, string problems);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "Unsafe for patient data (Integrity:WarnOnly is set, arming anyway): {Problems}")]
    private static partial void LogUnsafeWarnOnly(ILogger logger, string problems);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Information, Message = "Operating-system checks pass again")]
    private static partial void LogCleared(ILogger logger);
}
