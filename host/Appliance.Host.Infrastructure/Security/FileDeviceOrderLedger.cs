using System.Text.Json;
using Appliance.Host.Core.Orders;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Order counters in <c>devices/{id}.counter</c> and wipe records in <c>devices/{id}.wipe.json</c>,
/// each replaced whole through a rename. The command line writes here and the running host
/// reads it, so a wipe requested from a shell is sent by the host within a dispatch interval.
/// A counter is read and raised under <c>devices/counters.lock</c>, so host instances sharing the
/// folder (and the command line) never issue the same one.
/// </summary>
public sealed class FileDeviceOrderLedger(IOptions<HostDataOptions> options) : IDeviceOrderLedger
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _lock = new();

    public long NextCounter(string deviceId, DateTimeOffset now)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            var path = options.Value.Resolve("devices", deviceId + ".counter");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var instances = InstanceLock.Acquire(options.Value.Resolve("devices", "counters.lock"));
            var last = File.Exists(path) && long.TryParse(File.ReadAllText(path), out var stored) ? stored : 0;
            var next = Math.Max(last + 1, (now - DateTimeOffset.UnixEpoch).Ticks / 10);
            // Not flushed: the time floor keeps counters rising after a power cut; a lost write can at worst
            // repeat a value the appliance then refuses as a replay, and the next order goes through.
            SecureFiles.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), durable: false);
            return next;
        }
    }

    public WipeRecord? FindWipe(string deviceId)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return null;
        }

        lock (_lock)
        {
            return Read(WipePath(deviceId));
        }
    }

    public void SaveWipe(WipeRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        DeviceId.EnsureValid(record.DeviceId);
        lock (_lock)
        {
            SecureFiles.WriteAllBytes(WipePath(record.DeviceId), JsonSerializer.SerializeToUtf8Bytes(record, Json));
        }
    }

    public IReadOnlyList<WipeRecord> Wipes()
    {
        var folder = options.Value.Resolve("devices");
        if (!Directory.Exists(folder))
        {
            return [];
        }

        lock (_lock)
        {
            return [.. Directory.EnumerateFiles(folder, "*.wipe.json").Select(Read).OfType<WipeRecord>().OrderBy(w => w.RequestedAt)];
        }
    }

    public void ArchiveWipe(string deviceId)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            if (Read(WipePath(deviceId)) is { } record)
            {
                File.Move(WipePath(deviceId), options.Value.Resolve("devices", $"{deviceId}.wipe-{record.OrderId}.json.old"), overwrite: true);
            }
        }
    }

    private string WipePath(string deviceId) => options.Value.Resolve("devices", deviceId + ".wipe.json");

    private static WipeRecord? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<WipeRecord>(File.ReadAllBytes(path), Json) : null;
        }
        catch (IOException)
        {
            return null; // being replaced by another process this instant: read again next round
        }
    }
}
