using Appliance.Firmware.Core;
using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Updates;

/// <summary>
/// Carries out the host's update orders: fetches the package over the appliance's own link, a
/// few chunks at a time (one at a time while series wait to upload: capture's uploads keep
/// priority), each chunk checked against the signed order; then, once the appliance is idle (no
/// job armed, no capture, no calibration run), verifies the whole package against the bundle's
/// release keys in force (the bundle's, carried forward by the signed rotations the order brings), the appliance's architecture, model and security floor, installs it beside the
/// running release, puts it on trial and stops so the unit starts it. Every step is reported.
/// </summary>
public sealed partial class UpdateAgent(
    UpdateOptions options,
    ReleaseLayout layout,
    ReleaseKeyRing keys,
    ReleaseHealthGate health,
    UpdateReports reports,
    IUpdateHold hold,
    ISeriesStore store,
    ApplianceIdentity identity,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<UpdateAgent> logger) : IFirmwareUpdates, IDisposable
{
    private readonly WorkSignal _wake = new();
    private readonly Lock _lock = new();
    private PackageDownload? _download = PackageDownload.Resume(options.StagingFolder);
    private int _reportedTenths = -1;
    private bool _reportedWaiting;

    public Task AcceptOrderAsync(UpdateOrder order, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (order.Version == identity.FirmwareVersion)
        {
            // A re-sent order that crossed the restart into it.
            reports.Post(order, UpdateState.Healthy, $"{order.Version} is already running");
            return Task.CompletedTask;
        }

        if (ReleaseRollback.Last(layout.Root) is { } failed && failed.Version == order.Version && failed.RolloutId == order.RolloutId)
        {
            // The host's re-sent order crossed the report: the release is not tried twice in one rollout.
            Refuse(order, $"{order.Version} was rolled back here in this rollout ({failed.Reason}); it is not installed again");
            return Task.CompletedTask;
        }

        // Rotations are signed by the release keys, not the host's: only those the keys in force sign apply.
        if (keys.Apply(order.KeyRotations) is { } refusedRotation)
        {
            Refuse(order, refusedRotation);
            return Task.CompletedTask;
        }

        if (layout.CurrentVersion != identity.FirmwareVersion)
        {
            Refuse(order, $"this firmware ({identity.FirmwareVersion}) does not run from the release layout in {layout.Root}: deploy it with deploy-pi.sh first");
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            var resumed = _download?.Order.PackageSha256 == order.PackageSha256;
            _download?.Dispose();
            _download = PackageDownload.Begin(options.StagingFolder, order, expiresAt);
            _reportedTenths = -1;
            _reportedWaiting = false;
            LogOrderAccepted(logger, order.OrderId, order.Version, order.PackageSize, _download.HeldCount, order.ChunkCount, resumed);
        }

        _wake.Notify();
        return Task.CompletedTask;
    }

    public Task ReceiveChunkAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (!TransferFrame.TryDecode(frame, out var kind, out var id, out var index, out var chunk, out var error) || kind != TransferFrameKind.Chunk)
        {
            LogChunkRefused(logger, -1, kind == TransferFrameKind.End ? "a package is not ended by the host" : error);
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            if (_download is not { } download || download.Order.TransferId != id)
            {
                LogChunkRefused(logger, index, "a chunk of no order this appliance holds");
                return Task.CompletedTask;
            }

            if (download.Write(index, chunk.Span) is { } refused)
            {
                LogChunkRefused(logger, index, refused);
                return Task.CompletedTask;
            }
        }

        _wake.Notify();
        return Task.CompletedTask;
    }

    public async Task RunAsync(IHostChannel channel, CancellationToken cancellationToken)
    {
        // A downloaded update installs the moment the job holding it ends, before the next job comes.
        hold.BecameIdle -= OnIdle;
        hold.BecameIdle += OnIdle;
        if (ReleaseRollback.Read(layout.Root) is { } rollback)
        {
            reports.Post(rollback.OrderId, rollback.RolloutId, rollback.Version, UpdateState.RolledBack, rollback.Reason,
                sent: () => ReleaseRollback.MarkReported(layout.Root));
        }

        health.OnConnected();
        _reportedTenths = -1;
        while (channel.IsConnected && !cancellationToken.IsCancellationRequested)
        {
            await reports.SendAsync(channel, cancellationToken);
            var download = _download;
            if (download is null)
            {
                await _wake.WaitAsync(options.ChunkTimeout, time, cancellationToken);
            }
            else if (!download.Complete)
            {
                await FetchAsync(channel, download, cancellationToken);
            }
            else if (await InstallAsync(download, cancellationToken))
            {
                await reports.SendAsync(channel, cancellationToken);
                LogRestarting(logger, download.Order.Version);
                lifetime.StopApplication(); // the unit starts `current`: the new release, on trial
                return;
            }
        }
    }

    /// <summary>
    /// Asks for the next missing chunks and waits for them (or the timeout). While series wait to
    /// upload it asks for one chunk at a time, so their chunks (several in flight) keep most of the link.
    /// </summary>
    private async Task FetchAsync(IHostChannel channel, PackageDownload download, CancellationToken cancellationToken)
    {
        var inFlight = await store.CountAsync(cancellationToken) > 0 ? 1 : Math.Clamp(options.ChunksInFlight, 1, UpdateOrder.MaxChunksPerRequest);
        var tenths = download.HeldCount * 10 / download.Order.ChunkCount;
        if (tenths != _reportedTenths)
        {
            _reportedTenths = tenths;
            reports.Post(download.Order, UpdateState.Downloading, chunksHeld: download.HeldCount);
            await reports.SendAsync(channel, cancellationToken);
        }

        var window = download.NextMissing(inFlight);
        foreach (var (start, count) in window)
        {
            var request = new PackageRequest(download.Order.OrderId, start, count);
            await channel.PublishAsync(ApplianceTopics.Fetch(identity.DeviceId), ProtocolJson.Serialize(request), cancellationToken);
        }

        var deadline = time.GetUtcNow() + options.ChunkTimeout;
        while (channel.IsConnected && ReferenceEquals(_download, download) && time.GetUtcNow() < deadline
            && window.Any(r => Enumerable.Range(r.Start, r.Count).Any(i => !download.Holds(i))))
        {
            await _wake.WaitAsync(deadline - time.GetUtcNow(), time, cancellationToken);
        }
    }

    /// <summary>True once the release is installed and on trial; false when it waits for the appliance to be idle or was refused.</summary>
    private async Task<bool> InstallAsync(PackageDownload download, CancellationToken cancellationToken)
    {
        var order = download.Order;
        if (download.ExpiresAt <= time.GetUtcNow())
        {
            Refuse(order, "the order expired before the package could be installed; the host sends a fresh one while the rollout runs");
            return false;
        }

        if (!await hold.TryHoldAsync(cancellationToken))
        {
            if (!_reportedWaiting)
            {
                _reportedWaiting = true;
                reports.Post(order, UpdateState.Waiting, "a job is armed, a capture or a calibration run is under way: installing when it ends");
                LogWaiting(logger, order.Version);
            }

            await _wake.WaitAsync(options.BusyPoll, time, cancellationToken);
            return false;
        }

        download.Flush();
        ReleaseInstallResult result;
        try
        {
            // The floor is read now: a release confirmed since this firmware started may have raised it.
            result = new ReleaseInstaller(layout, keys.Current.Trust, options.Target(), busy: () => false).Install(download.PartPath, (manifest, replaced) => new ReleaseTrial(
            manifest.Version,
            replaced ?? string.Empty,
            order.OrderId,
            order.RolloutId,
            time.GetUtcNow().ToUnixTimeSeconds(),
            (long)options.HealthWindow.TotalSeconds,
            options.MaxStarts,
            manifest.SecurityFloor,
            StoreFormat: manifest.StoreFormat).Write(layout.Root));
        }
        catch (IOException ex)
        {
            // A full or failing card: the running release is untouched, capture carries on.
            hold.ReleaseHold();
            Refuse(order, $"could not install: {ex.Message}");
            return false;
        }

        switch (result.Outcome)
        {
            case ReleaseInstallOutcome.Installed:
                Clear();
                reports.Post(order, UpdateState.Installed, result.Reason);
                return true;
            case ReleaseInstallOutcome.AlreadyCurrent:
                hold.ReleaseHold();
                Clear();
                reports.Post(order, UpdateState.Healthy, result.Reason);
                return false;
            default:
                hold.ReleaseHold();
                Refuse(order, $"{result.Refusal}: {result.Reason}");
                return false;
        }
    }

    private void Refuse(UpdateOrder order, string reason)
    {
        LogRefused(logger, order.OrderId, order.Version, reason);
        reports.Post(order, UpdateState.Refused, reason);
        if (_download?.Order.OrderId == order.OrderId)
        {
            Clear();
        }
    }

    private void Clear()
    {
        lock (_lock)
        {
            _download?.Dispose();
            _download = null;
            PackageDownload.Clear(options.StagingFolder);
        }
    }

    public void Dispose()
    {
        hold.BecameIdle -= OnIdle;
        _download?.Dispose();
    }

    private void OnIdle(object? sender, EventArgs e) => _wake.Notify();

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Update order {OrderId} accepted: {Version}, {Size} bytes, {Held} of {Chunks} chunks already held (resumed: {Resumed})")]
    private static partial void LogOrderAccepted(ILogger logger, string orderId, string version, long size, int held, int chunks, bool resumed);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Package chunk {Index} refused: {Reason}")]
    private static partial void LogChunkRefused(ILogger logger, int index, string reason);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Update order {OrderId} ({Version}) refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string orderId, string version, string reason);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Update to {Version} downloaded; waiting for the appliance to be idle")]
    private static partial void LogWaiting(ILogger logger, string version);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning, Message = "Release {Version} installed and on trial: restarting into it")]
    private static partial void LogRestarting(ILogger logger, string version);
}
