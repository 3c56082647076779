using System.Text.Json;
using Appliance.Host.Core;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Each device's signing keys and their states in <c>devices/{id}.signing.json</c> (owner-only,
/// written whole). A data folder from before the key life cycle (<c>.signing.pub</c> and
/// <c>.signing.previous</c>) is read as a current key and previous ones accepted for the grace period.
/// A ring is changed under <c>devices/signing.lock</c>, so instances sharing the folder lose no change.
/// </summary>
public sealed class FileDeviceSigningKeys(IOptions<HostDataOptions> options, IOptions<ProvisioningOptions> provisioning, TimeProvider time) : IDeviceSigningKeys
{
    private const int KeyLength = 32;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();

    public DeviceSigningKeyRing Ring(string deviceId)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return DeviceSigningKeyRing.Empty;
        }

        lock (_lock)
        {
            return Load(deviceId);
        }
    }

    public DeviceSigningKeyRing Update(string deviceId, Func<DeviceSigningKeyRing, DeviceSigningKeyRing?> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            // Other host instances on the folder (and the command line) change rings too: one at a time.
            Directory.CreateDirectory(options.Value.Resolve("devices"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var instances = InstanceLock.Acquire(options.Value.Resolve("devices", "signing.lock"));
            var ring = Load(deviceId);
            if (change(ring) is not { } changed)
            {
                return ring;
            }

            SecureFiles.WriteAllBytes(PathOf(deviceId, "json"), JsonSerializer.SerializeToUtf8Bytes(changed.Keys, Json));
            return changed;
        }
    }

    private DeviceSigningKeyRing Load(string deviceId)
    {
        var path = PathOf(deviceId, "json");
        if (File.Exists(path))
        {
            return new DeviceSigningKeyRing(JsonSerializer.Deserialize<List<DeviceSigningKey>>(File.ReadAllBytes(path), Json) ?? []);
        }

        // Before the life cycle: one current key and the ones it replaced.
        var current = PathOf(deviceId, "pub");
        if (!File.Exists(current))
        {
            return DeviceSigningKeyRing.Empty;
        }

        var at = File.GetLastWriteTimeUtc(current);
        var until = time.GetUtcNow() + provisioning.Value.PreviousKeyGrace;
        var previous = PathOf(deviceId, "previous");
        var older = File.Exists(previous) ? File.ReadAllBytes(previous).Chunk(KeyLength).Where(k => k.Length == KeyLength) : [];
        return new DeviceSigningKeyRing([
            .. older.Select(k => new DeviceSigningKey(Convert.ToBase64String(k), SigningKeyState.Previous, at, AcceptedUntil: until)),
            new DeviceSigningKey(Convert.ToBase64String(File.ReadAllBytes(current)), SigningKeyState.Current, at, at)]);
    }

    private string PathOf(string deviceId, string suffix) => options.Value.Resolve("devices", $"{deviceId}.signing.{suffix}");
}
