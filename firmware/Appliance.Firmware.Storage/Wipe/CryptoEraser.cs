using Appliance.Firmware.Core;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Firmware.Storage.Wipe;

/// <summary>
/// Crypto-erase: makes everything the appliance stored unreadable by destroying the keys,
/// which takes the same time whatever the store holds. The sealed frames never could be
/// opened here (they are sealed to the host, and each series' ephemeral key was dropped at
/// sealing); the LiteDB file needs the store secret, and the bundle holds that secret and
/// the TLS key. So: count what is still unsent, close the store, overwrite the bundle with
/// random bytes, flush and delete it, delete the store, move the sealed frames aside for
/// deletion in the background, sweep the camera scratch folders, and leave a marker with
/// the report, signed with the appliance's key before the last copy of it (in memory) is
/// cleared. Afterwards the firmware will not start until it is provisioned again.
/// </summary>
public sealed partial class CryptoEraser(
    WipePaths paths,
    IClosableSeriesStore store,
    ApplianceIdentity identity,
    TimeProvider time,
    ILogger<CryptoEraser> logger) : IApplianceEraser
{
    public const string MarkerName = "WIPED.json";

    /// <summary>A local wipe (<c>wipe --yes</c> on the appliance).</summary>
    public Task<WipeReport> WipeAsync(CancellationToken cancellationToken) => WipeAsync(WipeTrigger.Local, null, cancellationToken);

    public async Task<WipeReport> WipeAsync(WipeTrigger trigger, string? orderId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        int unsent;
        try
        {
            unsent = await store.CountAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Unknown: the store was already damaged or closed. Whatever it was, the wipe goes on.
            unsent = -1;
        }

        store.Dispose();
        var destroyed = new List<string>();
        if (SecretFiles.Destroy(paths.BundlePath))
        {
            destroyed.AddRange(["TLS private key", "signing key", "store secret", "provisioning bundle"]);
        }

        var trash = Path.Combine(paths.DataFolder, $".wiped-{Guid.NewGuid():N}");
        Directory.CreateDirectory(trash);
        foreach (var entry in Directory.EnumerateFileSystemEntries(paths.DataFolder).ToList())
        {
            var name = Path.GetFileName(entry);
            // The enrolment ledger holds no secret and must outlive the wipe: an old package stays spent.
            if (entry == trash || name is MarkerName or BundleEnrolment.LedgerName || name.StartsWith(".wiped-", StringComparison.Ordinal))
            {
                continue;
            }

            // A rename costs the same for one series or five hundred; the deleting happens after.
            var target = Path.Combine(trash, name);
            if (Directory.Exists(entry))
            {
                Directory.Move(entry, target);
            }
            else
            {
                File.Move(entry, target);
            }
        }

        destroyed.Add("series store");
        foreach (var scratch in paths.ScratchFolders.Where(Directory.Exists))
        {
            foreach (var leftover in Directory.EnumerateFiles(scratch, WipePaths.ScratchFramePattern))
            {
                File.Delete(leftover);
            }
        }

        var report = new WipeReport(identity.DeviceId, time.GetUtcNow(), [.. destroyed], unsent, (long)time.GetElapsedTime(started).TotalMilliseconds, trigger, orderId);
        // Signed with the key loaded before the bundle was destroyed; then that copy goes too.
        report = report with { Signature = SeriesSigning.SignBytes(identity.SigningPrivateKey, report.SignedBytes()) };
        Array.Clear(identity.SigningPrivateKey);
        await File.WriteAllBytesAsync(Path.Combine(paths.DataFolder, MarkerName), ProtocolJson.Serialize(report), cancellationToken);
        LogWiped(logger, identity.DeviceId, trigger, unsent, report.ElapsedMilliseconds);
        TrashDeletion = Task.Run(() => DeleteTrash(paths.DataFolder), CancellationToken.None);
        return report;
    }

    /// <summary>The background deletion of what the wipe moved aside; done when it completes.</summary>
    public Task TrashDeletion { get; private set; } = Task.CompletedTask;

    private static void DeleteTrash(string dataFolder)
    {
        foreach (var trash in Directory.EnumerateDirectories(dataFolder, ".wiped-*"))
        {
            Directory.Delete(trash, recursive: true);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Appliance {DeviceId} wiped ({Trigger}): keys destroyed, {UnsentSeries} unsent series lost, {ElapsedMs} ms")]
    private static partial void LogWiped(ILogger logger, string deviceId, WipeTrigger trigger, int unsentSeries, long elapsedMs);

    /// <summary>The report a wipe left in <paramref name="dataFolder"/>, or null if the appliance was never wiped (or was enrolled again since).</summary>
    public static WipeReport? ReadMarker(string dataFolder)
    {
        var path = Path.Combine(dataFolder, MarkerName);
        return File.Exists(path) && ProtocolJson.TryDeserialize<WipeReport>(File.ReadAllBytes(path), out var report, out _) ? report : null;
    }
}
