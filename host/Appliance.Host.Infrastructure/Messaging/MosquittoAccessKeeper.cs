using System.Diagnostics;
using Appliance.Host.Core.Provisioning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>
/// External broker mode: keeps mosquitto's revocation list and ACL current without an admin.
/// Whenever the fleet's access changes (a provisioning, a revocation, a confirmed wipe, in this
/// process or by a command from another), and every day so the list never lapses, it writes both
/// into <c>Broker:MosquittoConfigFolder</c> and runs <c>Broker:MosquittoReloadCommand</c>
/// (e.g. <c>systemctl reload mosquitto</c>, a SIGHUP), so a revoked or wiped appliance is refused
/// at its next connection.
/// </summary>
public sealed partial class MosquittoAccessKeeper(
    MosquittoConfiguration configuration,
    DeviceProvisioner provisioner,
    Security.FileCertificateAuthority ca,
    HostMqttClient hostClient,
    IOptions<BrokerOptions> options,
    TimeProvider time,
    ILogger<MosquittoAccessKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan RewriteEvery = TimeSpan.FromDays(1);
    private readonly SemaphoreSlim _changed = new(0);

    /// <summary>Raised after the access files are written and the reload command has run.</summary>
    public event EventHandler<string>? Refreshed;

    private string? _written;
    private DateTimeOffset _writtenAt = DateTimeOffset.MinValue;

    /// <summary>
    /// The first refresh before anything else starts: this instance's own client certificate is
    /// issued now and in the ACL, and mosquitto reloaded, before the host's client connects.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        ca.HostClientCertificateFor(hostClient.ClientId);
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EventHandler<string> onChange = (_, _) => _changed.Release();
        provisioner.AccessChanged += onChange;
        try
        {
            // One wait on the signal at a time, kept across looks, so no change is ever lost.
            var signal = _changed.WaitAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await RefreshAsync(stoppingToken);

                // A change made here wakes it at once; one made by a command in another process is seen at the next look.
                var look = Task.Delay(options.Value.MosquittoRefreshInterval, time, stoppingToken);
                if (await Task.WhenAny(signal, look) == signal)
                {
                    await signal;
                    signal = _changed.WaitAsync(stoppingToken);
                }
                else
                {
                    await look;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            provisioner.AccessChanged -= onChange;
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var folder = options.Value.MosquittoConfigFolder!;
        var fingerprint = configuration.AccessFingerprint();
        if (fingerprint == _written && time.GetUtcNow() - _writtenAt < RewriteEvery)
        {
            return;
        }

        configuration.WriteAccess(folder);
        await ReloadAsync(cancellationToken);
        _written = fingerprint;
        _writtenAt = time.GetUtcNow();
        LogRefreshed(logger, folder);
        Refreshed?.Invoke(this, folder);
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MosquittoReloadCommand is not { Length: > 0 } command)
        {
            LogNoReload(logger);
            return;
        }

        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("the broker reload command did not start");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            LogReloadFailed(logger, process.ExitCode, await stderr);
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Broker revocation list and ACL written to {Folder} and the broker reloaded")]
    private static partial void LogRefreshed(ILogger logger, string folder);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Broker:MosquittoReloadCommand is not set: mosquitto must be reloaded by hand for a revocation to take effect")]
    private static partial void LogNoReload(ILogger logger);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "The broker reload command exited {ExitCode}: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, int exitCode, string error);
}
